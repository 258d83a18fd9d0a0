#include "connector/schema_registry_client.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <nlohmann/json.hpp>
#include <vector>

namespace cdc::connector {

namespace {

constexpr char kContentType[] = "application/vnd.schemaregistry.v1+json";
constexpr int kFirstBackoffMs = 200;
constexpr int kMaxBackoffMs = 5000;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string OneLine(std::string s) {
  for (char& c : s) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  if (s.size() > 400) s = s.substr(0, 400) + "...";
  return s;
}

std::string DescribeError(httplib::Error e) {
  switch (e) {
    case httplib::Error::Connection: return "could not connect";
    case httplib::Error::ConnectionTimeout: return "connection timed out";
    case httplib::Error::Read: return "no reply (read failed or timed out)";
    case httplib::Error::Write: return "could not send the request";
    case httplib::Error::SSLConnection: return "TLS handshake failed";
    case httplib::Error::SSLLoadingCerts: return "cannot load the CA certificates";
    case httplib::Error::SSLServerVerification: return "the registry's certificate did not verify";
    default: return httplib::to_string(e);
  }
}

const char* TypeName(SchemaType t) {
  switch (t) {
    case SchemaType::kAvro: return "AVRO";
    case SchemaType::kJson: return "JSON";
    case SchemaType::kProtobuf: return "PROTOBUF";
  }
  return "AVRO";
}

// The request body of register and lookup: {"schema": text} (+ schemaType unless AVRO, which is
// the registry's default and what Confluent's serializer omits).
std::string SchemaBody(SchemaType type, std::string_view schema) {
  nlohmann::json body = {{"schema", std::string(schema)}};
  if (type != SchemaType::kAvro) body["schemaType"] = TypeName(type);
  return body.dump();
}

// What the operator can do about a refusal, by the registry's error code.
std::string WayOut(const RegistryReply& r, const config::SchemaRegistryConfig& cfg,
                   std::string_view subject) {
  const std::string s(subject);
  if (r.status == 401 || r.status == 403) {
    return "check format.schema_registry.basic_auth (or the url's user:password)";
  }
  if (r.status == 409 || r.error_code == 409 || r.error_code == 40901) {
    return "the LSN stays before the first event of the new shape: relax the subject's "
           "compatibility (PUT /config/" +
           s +
           " {\"compatibility\":\"NONE\"}) or register the "
           "schema by hand and set auto_register: false, then restart pgcdc";
  }
  if (r.error_code == 40401 || r.error_code == 40403) {
    return cfg.use_latest_version
               ? "register the subject's schema first (use_latest_version is on)"
               : "register the schema under '" + s +
                     "' first, or set format.schema_registry.auto_register: true";
  }
  return "fix the registry or the schema, then restart pgcdc";
}

}  // namespace

std::string SubjectPath(std::string_view subject) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "/subjects/";
  for (char c : subject) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xF]);
    }
  }
  return out;
}

SchemaRegistryClient::SchemaRegistryClient(config::SchemaRegistryConfig cfg, const StopSignal& stop,
                                           Metrics* metrics)
    : cfg_(std::move(cfg)), stop_(stop), metrics_(metrics) {}

SchemaRegistryClient::~SchemaRegistryClient() = default;

uint64_t SchemaRegistryClient::requests() const { return requests_.load(); }

RegistryReply SchemaRegistryClient::Call(const std::string& path, const std::string& body) {
  MutexLock lock(&mu_);
  return CallLocked(path, body);
}

RegistryReply SchemaRegistryClient::CallLocked(const std::string& path, const std::string& body) {
  RegistryReply last;
  for (const std::string& url : cfg_.urls) {
    auto& client = clients_[url];
    if (!client) {
      client = std::make_unique<httplib::Client>(url);
      client->set_keep_alive(true);
      if (!cfg_.user.empty() || !cfg_.password.empty()) {
        client->set_basic_auth(cfg_.user, cfg_.password);
      }
      if (!cfg_.ssl_ca_location.empty()) client->set_ca_cert_path(cfg_.ssl_ca_location);
      const int t = cfg_.request_timeout_ms;
      client->set_connection_timeout(std::min(t, 3000) / 1000, (std::min(t, 3000) % 1000) * 1000);
      client->set_read_timeout(t / 1000, (t % 1000) * 1000);
      client->set_write_timeout(t / 1000, (t % 1000) * 1000);
    }
    requests_.fetch_add(1);
    if (metrics_) metrics_->registry_requests.fetch_add(1);
    // The url's path prefix (a registry behind a proxy path) goes in front of the API path.
    const size_t scheme = url.find("://");
    const size_t slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
    const std::string full = (slash == std::string::npos ? "" : url.substr(slash)) + path;
    httplib::Headers headers = {{"Accept", kContentType}};
    auto res =
        body.empty() ? client->Get(full, headers) : client->Post(full, headers, body, kContentType);
    last = RegistryReply{};
    if (!res) {
      last.outcome = RegistryReply::Outcome::kRetry;
      last.error = "schema registry " + url + ": " + DescribeError(res.error());
      client.reset();  // a fresh connection next time
      continue;        // the next url, if any
    }
    last.status = res->status;
    if (res->status >= 200 && res->status < 300) {
      last.outcome = RegistryReply::Outcome::kOk;
      last.body = std::move(res->body);
      return last;
    }
    std::string message;
    auto parsed = nlohmann::json::parse(res->body, nullptr, false);
    if (parsed.is_object()) {
      if (auto c = parsed.find("error_code"); c != parsed.end() && c->is_number_integer()) {
        last.error_code = c->get<int>();
      }
      if (auto m = parsed.find("message"); m != parsed.end() && m->is_string()) {
        message = m->get<std::string>();
      }
    }
    if (message.empty()) message = res->body;
    last.error = "schema registry " + url + " answered HTTP " + std::to_string(res->status) +
                 (last.error_code ? " (error_code " + std::to_string(last.error_code) + ")" : "") +
                 ": " + OneLine(message);
    const bool transient = res->status >= 500 || res->status == 408 || res->status == 429;
    last.outcome = transient ? RegistryReply::Outcome::kRetry : RegistryReply::Outcome::kRefused;
    if (!transient) return last;  // an answer: another url would give the same one
  }
  return last;
}

RegistryReply SchemaRegistryClient::CallUntilAnswered(const std::string& path,
                                                      const std::string& body,
                                                      std::string_view subject) {
  int backoff = kFirstBackoffMs;
  bool warned = false;
  for (;;) {
    RegistryReply r = CallLocked(path, body);
    if (r.outcome != RegistryReply::Outcome::kRetry) {
      if (warned) {
        spdlog::info("schema registry answers again (subject '{}')", subject);
        if (metrics_) metrics_->registry_down_since_unix_ms.store(0);
      }
      return r;
    }
    if (!warned) {
      spdlog::warn("{} (subject '{}'); retrying until it answers: the LSN holds, nothing is lost",
                   r.error, subject);
      if (metrics_) metrics_->registry_down_since_unix_ms.store(NowMs());
      warned = true;
    }
    if (!stop_.SleepFor(backoff)) {
      if (metrics_) metrics_->registry_down_since_unix_ms.store(0);
      r.outcome = RegistryReply::Outcome::kRefused;
      r.error = "stopping while the schema registry is unreachable (" + r.error + ")";
      return r;
    }
    backoff = std::min(backoff * 2, kMaxBackoffMs);
  }
}

Status SchemaRegistryClient::IdFor(std::string_view subject, SchemaType type,
                                   std::string_view schema, int32_t* id) {
  MutexLock lock(&mu_);
  auto key = std::make_pair(std::string(subject), std::string(schema));
  if (auto it = ids_.find(key); it != ids_.end()) {
    *id = it->second;
    return Status::Ok();
  }
  Status s = Resolve(key.first, type, schema, id);
  if (s.ok()) ids_.emplace(std::move(key), *id);
  return s;
}

Status SchemaRegistryClient::Resolve(const std::string& subject, SchemaType type,
                                     std::string_view schema, int32_t* id) {
  std::string path = SubjectPath(subject);
  std::string body;
  const char* what = "register";
  if (cfg_.use_latest_version) {
    path += "/versions/latest";
    what = "read the latest version of";
  } else {
    body = SchemaBody(type, schema);
    if (cfg_.auto_register) {
      path += "/versions";
    } else {
      what = "look up";
    }
  }
  RegistryReply r = CallUntilAnswered(path, body, subject);
  if (r.outcome != RegistryReply::Outcome::kOk) {
    if (stop_.requested()) return Status::Unavailable(r.error);
    return Status::FailedPrecondition("cannot " + std::string(what) + " the schema of subject '" +
                                      subject + "': " + r.error + "; " + WayOut(r, cfg_, subject));
  }
  auto parsed = nlohmann::json::parse(r.body, nullptr, false);
  auto found = parsed.is_object() ? parsed.find("id") : parsed.end();
  if (found == parsed.end() || !found->is_number_integer()) {
    return Status::FailedPrecondition("schema registry: the reply to " + std::string(what) +
                                      " subject '" + subject + "' has no id: " + OneLine(r.body));
  }
  if (cfg_.use_latest_version) {
    // The datum is written with pgcdc's schema: the latest version must be that very schema, or
    // readers would decode the bytes with another one.
    auto text = parsed.find("schema");
    if (text == parsed.end() || !text->is_string() || text->get<std::string>() != schema) {
      return Status::FailedPrecondition(
          "subject '" + subject + "': its latest version (id " + std::to_string(found->get<int>()) +
          ") is not the schema pgcdc writes for this table; register pgcdc's schema as the "
          "latest version or turn use_latest_version off");
    }
  }
  *id = found->get<int32_t>();
  spdlog::info("schema registry: subject '{}' has id {} ({})", subject, *id, TypeName(type));
  return Status::Ok();
}

Result<std::string> SchemaRegistryClient::CompatibilityOf(const std::string& subject) {
  std::vector<std::string> paths;  // the subject's own level first, then the global one
  if (!subject.empty()) paths.push_back("/config/" + SubjectPath(subject).substr(10));
  paths.emplace_back("/config");
  for (const std::string& path : paths) {
    RegistryReply r = Call(path, "");
    if (r.outcome == RegistryReply::Outcome::kOk) {
      auto parsed = nlohmann::json::parse(r.body, nullptr, false);
      if (parsed.is_object()) {
        for (const char* k : {"compatibilityLevel", "compatibility"}) {
          if (auto it = parsed.find(k); it != parsed.end() && it->is_string()) {
            return it->get<std::string>();
          }
        }
      }
      return Status::FailedPrecondition("schema registry: unexpected reply to GET " + path + ": " +
                                        OneLine(r.body));
    }
    // 40408 (no subject-level config; 40401 on older registries): fall back to the global one.
    if (r.error_code == 40408 || r.error_code == 40401) continue;
    return r.outcome == RegistryReply::Outcome::kRetry ? Status::Unavailable(r.error)
                                                       : Status::FailedPrecondition(r.error);
  }
  return Status::FailedPrecondition("schema registry: no compatibility level for '" + subject +
                                    "'");
}

}  // namespace cdc::connector
