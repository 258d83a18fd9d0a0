#include "config/sink_sections.h"

#include <algorithm>
#include <cctype>
#include <optional>

#include "config/map_reader.h"
#include "config/redact.h"

namespace cdc::config {

// sink.redis.url: "redis://[[user]:password@]host[:port][/db]". The password may hold any
// character once percent-encoded; the last '@' ends it. Error lines never echo the url.
void ParseRedisUrl(RedisConfig* r) {
  const std::string key = "sink.redis.url";
  const std::string& url = r->url;
  if (url.rfind("rediss://", 0) == 0) {
    Fail(key,
         "rediss:// (TLS) is not supported: Debian's hiredis is 0.14.1, which has no TLS; use "
         "redis:// on a trusted network or a TLS tunnel (stunnel, spiped) to the server");
  }
  if (url.rfind("redis://", 0) != 0) Fail(key, "must start with redis://");
  std::string rest = url.substr(8);
  if (const size_t at = rest.rfind('@'); at != std::string::npos) {
    const std::string userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    const size_t colon = userinfo.find(':');
    if (colon == std::string::npos) Fail(key, "user without a password (write user:password@)");
    r->user = PercentDecode(userinfo.substr(0, colon));
    r->password = PercentDecode(userinfo.substr(colon + 1));
    AddSecret(r->password);
    AddSecret(userinfo.substr(colon + 1));  // as written, percent-encoded
  }
  std::string db;
  if (const size_t slash = rest.find('/'); slash != std::string::npos) {
    db = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
  }
  if (rest.empty()) Fail(key, "has no host");
  std::optional<std::string> port;
  const size_t host_end = rest.front() == '[' ? rest.find(']') : 0;  // [::1]:6379
  if (host_end == std::string::npos) Fail(key, "has an unclosed [ in the host");
  if (const size_t colon = rest.rfind(':'); colon != std::string::npos && colon > host_end) {
    port = rest.substr(colon + 1);
    rest = rest.substr(0, colon);
  }
  if (rest.size() > 2 && rest.front() == '[' && rest.back() == ']') {
    rest = rest.substr(1, rest.size() - 2);
  }
  if (rest.empty()) Fail(key, "has no host");
  r->host = rest;
  auto number = [&](const std::string& text, const char* what, int max) {
    if (text.empty() || text.size() > 9 ||
        !std::all_of(text.begin(), text.end(), [](char ch) { return ch >= '0' && ch <= '9'; }) ||
        std::stoi(text) > max) {
      Fail(key, std::string(what) + " must be a number up to " + std::to_string(max));
    }
    return std::stoi(text);
  };
  if (port) r->port = number(*port, "the port", 65535);
  if (!db.empty()) r->db = number(db, "the database (after /)", 1'000'000);
}

// sink.nats. Passwords in URLs and the token are secrets.
void ParseNats(const YAML::Node& node, SinkConfig::Nats* n) {
  MapReader r(node, "sink.nats");
  r.StringList("url", &n->urls);
  if (n->urls.empty()) Fail("sink.nats.url", "must name at least one server");
  for (const auto& url : n->urls) {
    const size_t at = url.rfind('@');
    const size_t scheme = url.find("://");
    const size_t from = scheme == std::string::npos ? 0 : scheme + 3;
    if (at != std::string::npos && at > from) {
      const std::string userinfo = url.substr(from, at - from);
      const size_t colon = userinfo.find(':');
      AddSecret(colon == std::string::npos ? userinfo : userinfo.substr(colon + 1));
    }
  }
  r.String("stream", &n->stream);
  if (n->stream.empty() || n->stream.find_first_of(" \t.*>/\\") != std::string::npos) {
    Fail("sink.nats.stream", "'" + n->stream + "' is not a JetStream stream name");
  }
  r.String("creds_file", &n->creds_file);
  r.String("token", &n->token);
  AddSecret(n->token);
  r.String("tls_ca_file", &n->tls_ca_file);
  r.String("tls_cert_file", &n->tls_cert_file);
  r.String("tls_key_file", &n->tls_key_file);
  if (n->tls_cert_file.empty() != n->tls_key_file.empty()) {
    Fail("sink.nats.tls_cert_file", "tls_cert_file and tls_key_file go together");
  }
  r.Int("ack_timeout_ms", &n->ack_timeout_ms, 100, 3'600'000);
  r.Finish();
}

// sink.rabbitmq. The url follows RabbitMQ's URI spec: amqp://user:password@host:port/vhost,
// each part percent-encoded (the default vhost "/" is written %2f); amqps:// is AMQP over TLS.
void ParseRabbitmq(const YAML::Node& node, SinkConfig::Rabbitmq* q) {
  MapReader r(node, "sink.rabbitmq");
  r.String("url", &q->url);
  r.String("exchange", &q->exchange);
  r.String("celery_task", &q->celery_task);
  r.String("celery_queue", &q->celery_queue);
  r.Int("ack_timeout_ms", &q->ack_timeout_ms, 100, 3'600'000);
  r.String("tls_ca_file", &q->tls_ca_file);
  r.String("tls_cert_file", &q->tls_cert_file);
  r.String("tls_key_file", &q->tls_key_file);
  r.Bool("tls_verify", &q->tls_verify);
  r.Finish();
  const std::string key = "sink.rabbitmq.url";
  const std::string& url = q->url;
  q->tls = url.rfind("amqps://", 0) == 0;
  if (!q->tls && url.rfind("amqp://", 0) != 0) Fail(key, "must start with amqp:// or amqps://");
  if (!q->tls && (!q->tls_ca_file.empty() || !q->tls_cert_file.empty() ||
                  !q->tls_key_file.empty() || !q->tls_verify)) {
    Fail("sink.rabbitmq.tls_*", "TLS settings need an amqps:// url");
  }
  if (q->tls_cert_file.empty() != q->tls_key_file.empty()) {
    Fail("sink.rabbitmq.tls_cert_file", "tls_cert_file and tls_key_file go together");
  }
  if (q->tls) q->port = 5671;  // RabbitMQ's AMQPS port, unless the url names one
  std::string rest = url.substr(q->tls ? 8 : 7);
  if (const size_t slash = rest.find('/'); slash != std::string::npos) {
    q->vhost = PercentDecode(rest.substr(slash + 1));
    rest = rest.substr(0, slash);
  }
  if (const size_t at = rest.rfind('@'); at != std::string::npos) {
    const std::string userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    const size_t colon = userinfo.find(':');
    q->user = PercentDecode(userinfo.substr(0, colon));
    q->password = colon == std::string::npos ? "" : PercentDecode(userinfo.substr(colon + 1));
    AddSecret(q->password);
    if (colon != std::string::npos) AddSecret(userinfo.substr(colon + 1));  // as written
  }
  if (const size_t colon = rest.rfind(':');
      colon != std::string::npos && rest.find(']') == std::string::npos) {
    const std::string port = rest.substr(colon + 1);
    rest = rest.substr(0, colon);
    if (port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](char ch) { return ch >= '0' && ch <= '9'; }) ||
        std::stoi(port) > 65535 || std::stoi(port) == 0) {
      Fail(key, "the port must be a number from 1 to 65535");
    }
    q->port = std::stoi(port);
  }
  if (rest.size() > 2 && rest.front() == '[' && rest.back() == ']') {
    rest = rest.substr(1, rest.size() - 2);
  }
  if (rest.empty()) Fail(key, "has no host");
  q->host = rest;
  if (q->vhost.empty()) q->vhost = "/";
  if (q->celery_task.empty() && q->exchange.empty()) {
    Fail("sink.rabbitmq.exchange", "must not be empty (the default exchange cannot route topics)");
  }
  if (!q->celery_task.empty() && q->celery_queue.empty()) {
    Fail("sink.rabbitmq.celery_queue", "must not be empty when celery_task is set");
  }
}

// sink.kinesis. No secrets here: the AWS credentials come from the environment (sinks/).
void ParseKinesis(const YAML::Node& node, SinkConfig::Kinesis* k, bool required) {
  MapReader r(node, "sink.kinesis");
  r.String("region", &k->region, required);
  r.String("endpoint", &k->endpoint);
  r.Bool("create_streams", &k->create_streams);
  r.Int("shard_count", &k->shard_count, 1, 10'000);
  r.Finish();
  if (!k->region.empty() && !std::all_of(k->region.begin(), k->region.end(), [](char ch) {
        return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-';
      })) {
    Fail("sink.kinesis.region", "'" + k->region + "' is not an AWS region name (e.g. us-east-1)");
  }
  if (!k->endpoint.empty() && k->endpoint.rfind("http://", 0) != 0 &&
      k->endpoint.rfind("https://", 0) != 0) {
    Fail("sink.kinesis.endpoint", "must start with http:// or https://");
  }
  if (k->endpoint.empty() && !k->region.empty()) {
    k->endpoint = "https://kinesis." + k->region + ".amazonaws.com";
  }
}

}  // namespace cdc::config
