#include "config/format_section.h"

#include "config/map_reader.h"
#include "config/redact.h"

namespace cdc::config {

namespace {

constexpr char kKey[] = "format.schema_registry";

// "http[s]://[user:password@]host[:port][/path]": the userinfo moves to basic auth (Confluent's
// basic.auth.credentials.source=URL), so no URL pgcdc keeps or prints holds a password.
std::string TakeUrl(std::string url, SchemaRegistryConfig* r) {
  const std::string key = std::string(kKey) + ".url";
  const bool https = url.rfind("https://", 0) == 0;
  if (!https && url.rfind("http://", 0) != 0) {
    Fail(key, "'" + url + "' must start with http:// or https://");
  }
  const size_t from = https ? 8 : 7;
  const size_t end = url.find('/', from);
  const size_t at = url.rfind('@', end == std::string::npos ? url.size() : end);
  if (at != std::string::npos && at >= from) {
    const std::string userinfo = url.substr(from, at - from);
    const size_t colon = userinfo.find(':');
    if (colon == std::string::npos) Fail(key, "user without a password (write user:password@)");
    AddSecret(userinfo.substr(colon + 1));  // as written, percent-encoded
    const std::string user = PercentDecode(userinfo.substr(0, colon));
    if (!r->user.empty() && r->user != user) {
      Fail(key, "two different users in the urls' credentials");
    }
    r->user = user;
    r->password = PercentDecode(userinfo.substr(colon + 1));
    AddSecret(r->password);
    url.erase(from, at + 1 - from);
  }
  if (url.size() == from || url[from] == '/' || url[from] == ':') Fail(key, "has no host");
  while (url.size() > from && url.back() == '/') url.pop_back();
  return url;
}

}  // namespace

void ParseSchemaRegistry(const YAML::Node& node, FormatType type, bool schemas_set,
                         SchemaRegistryConfig* r) {
  const bool present = node && !node.IsNull();
  if (type == FormatType::kJson) {
    if (present) {
      Fail(kKey,
           "is used by format.type avro, json_schema and protobuf only (format.type is json)");
    }
    return;
  }
  if (schemas_set) {
    Fail("format.schemas",
         "applies to format.type json only: with a schema registry the schema is never inside "
         "the record");
  }
  if (!present) {
    Fail(kKey, std::string("required with format.type ") + std::string(WordOf(type)) +
                   " (url: http://host:8081)");
  }
  MapReader m(node, kKey);
  std::vector<std::string> urls;
  m.StringList("url", &urls);
  if (urls.empty()) Fail(std::string(kKey) + ".url", "must name at least one registry");
  std::string basic_auth;
  m.String("basic_auth", &basic_auth);
  if (!basic_auth.empty()) {
    const size_t colon = basic_auth.find(':');
    if (colon == std::string::npos) {
      Fail(std::string(kKey) + ".basic_auth", "must be user:password");
    }
    r->user = basic_auth.substr(0, colon);
    r->password = basic_auth.substr(colon + 1);
    AddSecret(r->password);
  }
  for (auto& u : urls) {
    SchemaRegistryConfig from_url;
    from_url.user = r->user;
    r->urls.push_back(TakeUrl(u, basic_auth.empty() ? r : &from_url));
  }
  m.String("ssl_ca_location", &r->ssl_ca_location);
  m.String("ssl_certificate_location", &r->ssl_certificate_location);
  m.String("ssl_key_location", &r->ssl_key_location);
  if (r->ssl_certificate_location.empty() != r->ssl_key_location.empty()) {
    Fail(std::string(kKey) + ".ssl_certificate_location",
         "ssl_certificate_location and ssl_key_location go together");
  }
  m.OneOf("subject_strategy", &r->subject_strategy);
  m.Bool("auto_register", &r->auto_register);
  m.Bool("use_latest_version", &r->use_latest_version);
  if (r->use_latest_version && r->auto_register && m.Has("auto_register")) {
    Fail(std::string(kKey) + ".use_latest_version",
         "uses the subject's latest schema instead of registering: set auto_register: false");
  }
  if (r->use_latest_version) r->auto_register = false;
  m.Int("request_timeout_ms", &r->request_timeout_ms, 100, 600'000);
  m.Finish();
}

}  // namespace cdc::config
