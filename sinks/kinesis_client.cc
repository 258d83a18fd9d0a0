#include "sinks/kinesis_client.h"

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

#include "sinks/aws_sigv4.h"

namespace cdc::sinks {

namespace {

// Error types after which the same request may succeed: throttling and AWS-side failures.
bool RetryableType(std::string_view type) {
  return type == "ProvisionedThroughputExceededException" || type == "LimitExceededException" ||
         type == "ThrottlingException" || type == "KMSThrottlingException" ||
         type == "InternalFailure" || type == "ServiceUnavailable" ||
         type == "InternalServerError" || type == "RequestTimeout";
}

std::string Shorten(std::string s) {
  for (char& c : s) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  if (s.size() > 300) s = s.substr(0, 300) + "...";
  return s;
}

// httplib's own names ("Connection", "Read") say little in an error line.
std::string Describe(httplib::Error e) {
  switch (e) {
    case httplib::Error::Connection: return "could not establish a connection";
    case httplib::Error::ConnectionTimeout: return "connection timed out";
    case httplib::Error::Read: return "no reply (read failed or timed out)";
    case httplib::Error::Write: return "could not send the request";
    case httplib::Error::SSLConnection: return "TLS handshake failed";
    case httplib::Error::SSLLoadingCerts: return "cannot load the system's CA certificates";
    case httplib::Error::SSLServerVerification:
      return "the server's TLS certificate did not verify";
    default: return httplib::to_string(e);
  }
}

}  // namespace

void AppendJsonString(std::string* out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(c);
    } else if (u < 0x20) {
      out->append("\\u00");
      out->push_back(kHex[u >> 4]);
      out->push_back(kHex[u & 0xF]);
    } else {
      out->push_back(c);
    }
  }
  out->push_back('"');
}

KinesisClient::KinesisClient(std::string endpoint, std::string region, AwsCredentials credentials)
    : endpoint_(std::move(endpoint)),
      region_(std::move(region)),
      credentials_(std::move(credentials)) {
  while (!endpoint_.empty() && endpoint_.back() == '/') endpoint_.pop_back();
  const bool https = endpoint_.rfind("https://", 0) == 0;
  std::string hostport = endpoint_.substr(endpoint_.find("://") + 3);
  hostport = hostport.substr(0, hostport.find('/'));
  // httplib leaves out the default port in Host; the signature must cover what is sent.
  const std::string default_port = https ? ":443" : ":80";
  if (hostport.size() > default_port.size() &&
      hostport.compare(hostport.size() - default_port.size(), default_port.size(), default_port) ==
          0) {
    hostport.resize(hostport.size() - default_port.size());
  }
  host_header_ = hostport;
  http_ = std::make_unique<httplib::Client>(endpoint_);
  http_->set_keep_alive(true);
}

KinesisClient::~KinesisClient() = default;

KinesisReply KinesisClient::Call(std::string_view action, const std::string& json, int timeout_ms) {
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
  const std::string amz_date = AmzDate(seconds);
  const std::string target = "Kinesis_20131202." + std::string(action);
  SigV4Request req;
  req.headers = {{"Content-Type", "application/x-amz-json-1.1"},
                 {"Host", host_header_},
                 {"X-Amz-Date", amz_date},
                 {"X-Amz-Target", target}};
  if (!credentials_.session_token.empty()) {
    req.headers.emplace_back("X-Amz-Security-Token", credentials_.session_token);
  }
  req.payload = json;
  const std::string authorization = SigV4Authorization(
      req,
      SigV4Scope{credentials_.access_key_id, credentials_.secret_access_key, region_, "kinesis"},
      amz_date);
  httplib::Headers headers;
  for (const auto& [name, value] : req.headers) {
    if (name != "Content-Type") headers.emplace(name, value);
  }
  headers.emplace("Authorization", authorization);

  // Connecting gets less than the reply: an endpoint that drops packets should not hold the
  // caller's thread (the replication thread) for long per retry.
  const int connect_ms = std::min(timeout_ms, kConnectTimeoutMs);
  http_->set_connection_timeout(connect_ms / 1000, (connect_ms % 1000) * 1000);
  http_->set_read_timeout(timeout_ms / 1000, (timeout_ms % 1000) * 1000);
  http_->set_write_timeout(timeout_ms / 1000, (timeout_ms % 1000) * 1000);

  KinesisReply reply;
  const std::string where = std::string(action) + " at " + endpoint_;
  auto res = http_->Post("/", headers, json, "application/x-amz-json-1.1");
  if (!res) {
    reply.outcome = KinesisReply::Outcome::kRetry;
    reply.error = "kinesis: " + where + " failed: " + Describe(res.error());
    return reply;
  }
  if (res->status == 200) {
    reply.outcome = KinesisReply::Outcome::kOk;
    reply.body = std::move(res->body);
    return reply;
  }
  // {"__type": "[namespace#]Type", "message": "..."} (or "Message").
  std::string type, message;
  auto parsed = nlohmann::json::parse(res->body, nullptr, false);
  if (parsed.is_object()) {
    if (auto t = parsed.find("__type"); t != parsed.end() && t->is_string()) {
      type = t->get<std::string>();
      if (const size_t hash = type.rfind('#'); hash != std::string::npos) {
        type = type.substr(hash + 1);
      }
    }
    for (const char* k : {"message", "Message"}) {
      if (auto m = parsed.find(k); m != parsed.end() && m->is_string())
        message = m->get<std::string>();
    }
  }
  if (type.empty()) type = "HTTP " + std::to_string(res->status);
  if (message.empty() && !parsed.is_object()) message = Shorten(res->body);
  reply.error =
      "kinesis: " + where + " answered " + type + (message.empty() ? "" : ": ") + Shorten(message);
  if (res->status >= 500 || RetryableType(type)) {
    reply.outcome = KinesisReply::Outcome::kRetry;
  } else if (type == "ResourceNotFoundException") {
    reply.outcome = KinesisReply::Outcome::kNotFound;
  } else if (type == "ResourceInUseException") {
    reply.outcome = KinesisReply::Outcome::kInUse;
  } else {
    reply.outcome = KinesisReply::Outcome::kFailed;
  }
  return reply;
}

}  // namespace cdc::sinks
