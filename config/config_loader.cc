#include "config/config_loader.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>
#include <regex>
#include <set>
#include <sstream>

#include "config/config_words.h"
#include "config/conninfo.h"
#include "config/format_section.h"
#include "config/map_reader.h"
#include "config/redact.h"
#include "config/sink_sections.h"

namespace cdc::config {

std::string ConfigError::OneLine(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) {
      static const char kHex[] = "0123456789abcdef";
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

namespace {

std::string DefaultObjectName(const std::string& name) {
  std::string out = "pgcdc_";
  for (char c : name) {
    unsigned char u = static_cast<unsigned char>(c);
    out.push_back(std::isalnum(u) ? static_cast<char>(std::tolower(u)) : '_');
  }
  return out.substr(0, 63);
}

void ValidateSlotName(const std::string& key, const std::string& v) {
  if (v.empty() || v.size() > 63 || !std::all_of(v.begin(), v.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
      })) {
    Fail(key,
         "'" + v + "' is not a valid slot name (lower-case letters, digits and _, at most 63)");
  }
}

// The propagate-source-type patterns compile as the decoders compile them (ECMAScript, ignoring
// case), so that a bad one is refused here, at load, naming the key.
void CheckRegexes(const std::string& key, const std::vector<std::string>& patterns) {
  for (size_t i = 0; i < patterns.size(); ++i) {
    try {
      std::regex re(patterns[i], std::regex::ECMAScript | std::regex::icase);
    } catch (const std::regex_error& e) {
      Fail(key + "[" + std::to_string(i) + "]",
           "'" + patterns[i] + "' is not a regular expression (" + e.what() + ")");
    }
  }
}

// Kafka's rule for topic names (and a safe one for every other sink's stream names).
bool LegalTopic(const std::string& t) {
  return !t.empty() && t.size() <= 249 && t != "." && t != ".." &&
         std::all_of(t.begin(), t.end(), [](char ch) {
           return std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '_' ||
                  ch == '-';
         });
}

void ParseTopics(const YAML::Node& node, Config* c) {
  if (!node || node.IsNull()) return;
  if (!node.IsMap()) Fail("topics", "must map schema.table to a topic name");
  const std::set<std::string> reserved = {c->name + ".transaction", c->name + ".message",
                                          "__debezium-heartbeat." + c->name};
  for (const auto& kv : node) {
    const std::string table = kv.first.as<std::string>();
    const std::string key = "topics." + table;
    if (!kv.second.IsScalar()) Fail(key, "must be a topic name");
    const std::string topic = kv.second.Scalar();
    if (!LegalTopic(topic)) {
      Fail(key, "'" + topic + "' is not a topic name (1-249 letters, digits, '.', '_' and '-')");
    }
    if (reserved.count(topic)) Fail(key, "'" + topic + "' is one of pgcdc's own topics");
    // The NATS stream captures <name>.> only: another subject would have no stream.
    if (c->sink.type == SinkType::kNats && topic.rfind(c->name + ".", 0) != 0) {
      Fail(key, "'" + topic + "' must start with '" + c->name +
                    ".' with sink.type nats (the stream captures " + c->name + ".>)");
    }
    c->topics.emplace_back(table, topic);
  }
}

Config Parse(const YAML::Node& root) {
  Config c;
  MapReader top(root, "");
  top.String("name", &c.name, true);
  if (!std::all_of(c.name.begin(), c.name.end(), [](char ch) {
        return std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '_' || ch == '-';
      })) {
    Fail("name", "'" + c.name +
                     "' may contain only letters, digits, '.', '_' and '-' "
                     "(it prefixes topic names)");
  }

  {
    MapReader s(top.Take("source"), "source");
    if (!top.Has("source")) Fail("source", "required section is missing");
    s.Conninfo("dsn", &c.source.dsn);
    s.String("slot", &c.source.slot);
    s.String("publication", &c.source.publication);
    s.StringList("tables", &c.source.tables);
    s.StringList("column_exclude_list", &c.source.column_exclude_list);
    s.Bool("create_publication", &c.source.create_publication);
    s.Int("status_interval_ms", &c.source.status_interval_ms, 100, 3'600'000);
    s.Int("reconnect_max_backoff_ms", &c.source.reconnect_max_backoff_ms, 100, 3'600'000);
    s.OneOf("value_transfer", &c.source.value_transfer);
    s.OneOf("partitions", &c.source.partitions);
    s.Int("reconcile_interval_ms", &c.source.reconcile_interval_ms, 0, 86'400'000);
    s.Finish();
    if (c.source.slot.empty()) c.source.slot = DefaultObjectName(c.name);
    if (c.source.publication.empty()) c.source.publication = DefaultObjectName(c.name);
    ValidateSlotName("source.slot", c.source.slot);
    for (const auto& t : c.source.tables) {
      if (t.find('.') == std::string::npos) {
        Fail("source.tables", "'" + t + "' must be schema.table (wildcards '*' allowed)");
      }
    }
  }
  {
    MapReader s(top.Take("snapshot"), "snapshot");
    s.OneOf("mode", &c.snapshot.mode);
    s.Int("parallelism", &c.snapshot.parallelism, 1, 64);
    s.Int("chunk_pages", &c.snapshot.chunk_pages, int64_t{16}, int64_t{1} << 31);
    s.Int("progress_interval_ms", &c.snapshot.progress_interval_ms, 100, 3'600'000);
    s.Int("chunk_size", &c.snapshot.chunk_size, 1, 1'000'000);
    s.OneOf("new_tables", &c.snapshot.new_tables);
    s.Finish();
  }
  {
    MapReader s(top.Take("signals"), "signals");
    s.String("table", &c.signals.table);
    s.Finish();
    if (!c.signals.table.empty() && c.signals.table.find('.') == std::string::npos) {
      Fail("signals.table", "'" + c.signals.table + "' must be schema.table");
    }
  }
  {
    MapReader f(top.Take("format"), "format");
    f.OneOf("type", &c.format.type);
    const bool schemas_set = f.Has("schemas");
    f.Bool("schemas", &c.format.schemas);
    f.Bool("tombstones", &c.format.tombstones);
    f.OneOf("decimal_handling", &c.format.decimal_handling);
    f.OneOf("binary_handling", &c.format.binary_handling);
    f.OneOf("time_precision", &c.format.time_precision);
    f.OneOf("interval_handling", &c.format.interval_handling);
    f.OneOf("schema_name_adjustment", &c.format.schema_name_adjustment);
    f.OneOf("field_name_adjustment", &c.format.field_name_adjustment);
    f.StringList("skipped_operations", &c.format.skipped_operations);
    f.String("unavailable_value_placeholder", &c.format.unavailable_value_placeholder);
    f.String("source_version", &c.format.source_version);
    f.Bool("transaction_metadata", &c.format.transaction_metadata);
    f.Bool("messages", &c.format.messages);
    f.StringList("message_prefixes", &c.format.message_prefixes);
    f.OneOf("hstore_handling", &c.format.hstore_handling);
    f.OneOf("unknown_types", &c.format.unknown_types);
    f.Bool("extended_headers", &c.format.extended_headers);
    f.Int("money_fraction_digits", &c.format.money_fraction_digits, 0, 18);
    f.StringList("column_propagate_source_type", &c.format.column_propagate_source_type);
    f.StringList("datatype_propagate_source_type", &c.format.datatype_propagate_source_type);
    ParseSchemaRegistry(f.Take("schema_registry"), c.format.type, schemas_set,
                        &c.format.schema_registry);
    if (YAML::Node pb = f.Take("protobuf"); pb && !pb.IsNull()) {
      if (c.format.type != FormatType::kProtobuf) {
        Fail("format.protobuf", "is used by format.type protobuf only (format.type is " +
                                    std::string(WordOf(c.format.type)) + ")");
      }
      MapReader p(pb, "format.protobuf");
      p.Bool("optional_for_nullables", &c.format.protobuf_optional_for_nullables);
      p.Finish();
    }
    YAML::Node keys = f.Take("message_key_columns");
    if (keys && !keys.IsNull()) {
      if (!keys.IsMap()) {
        Fail("format.message_key_columns", "must map schema.table to a list of columns");
      }
      for (const auto& kv : keys) {
        const std::string table = kv.first.as<std::string>();
        const std::string key = "format.message_key_columns." + table;
        std::vector<std::string> cols;
        if (kv.second.IsScalar()) {
          cols.push_back(kv.second.Scalar());
        } else if (kv.second.IsSequence()) {
          for (const auto& col : kv.second) {
            if (!col.IsScalar()) Fail(key, "must be a list of column names");
            cols.push_back(col.Scalar());
          }
        } else {
          Fail(key, "must be a list of column names");
        }
        if (cols.empty()) Fail(key, "must name at least one column");
        c.format.message_key_columns.emplace_back(table, std::move(cols));
      }
    }
    f.Finish();
    CheckRegexes("format.column_propagate_source_type", c.format.column_propagate_source_type);
    CheckRegexes("format.datatype_propagate_source_type", c.format.datatype_propagate_source_type);
    auto& ops = c.format.skipped_operations;
    if (ops.size() == 1 && ops[0] == "none") ops.clear();
    for (const auto& op : ops) {
      if (op != "c" && op != "u" && op != "d" && op != "t") {
        Fail("format.skipped_operations", "'" + op + "' is not one of c, u, d, t, none");
      }
    }
  }
  {
    MapReader s(top.Take("sink"), "sink");
    s.OneOf("type", &c.sink.type);
    s.String("dead_letter_topic", &c.sink.dead_letter_topic);
    YAML::Node k = s.Take("kafka");
    if (k && !k.IsNull()) {
      if (!k.IsMap()) Fail("sink.kafka", "must be a mapping of librdkafka properties");
      for (const auto& kv : k) {
        std::string key = kv.first.as<std::string>();
        if (!kv.second.IsScalar()) Fail("sink.kafka." + key, "must be a scalar value");
        std::string value = ExpandEnv(kv.second.Scalar(), "sink.kafka." + key);
        if (IsSecretKafkaProperty(key)) AddSecret(value);
        c.sink.kafka[key] = std::move(value);
      }
    }
    {
      MapReader r(s.Take("redis"), "sink.redis");
      r.String("url", &c.sink.redis.url, c.sink.type == SinkType::kRedis);
      r.OneOf("message_format", &c.sink.redis.message_format);
      r.OneOf("entry_ids", &c.sink.redis.entry_ids);
      r.Int("max_len", &c.sink.redis.max_len, int64_t{0}, int64_t{1} << 53);
      r.Bool("max_len_approximate", &c.sink.redis.max_len_approximate);
      r.Finish();
      if (!c.sink.redis.url.empty()) ParseRedisUrl(&c.sink.redis);
    }

    ParseNats(s.Take("nats"), &c.sink.nats);
    c.sink.nats.topic_prefix = c.name;
    ParseRabbitmq(s.Take("rabbitmq"), &c.sink.rabbitmq);
    ParseKinesis(s.Take("kinesis"), &c.sink.kinesis, c.sink.type == SinkType::kKinesis);
    s.Finish();
    if (c.sink.type == SinkType::kRedis && !c.sink.dead_letter_topic.empty()) {
      Fail("sink.dead_letter_topic", "is for sink.type kafka only (the redis sink stops instead)");
    }
    if (c.sink.type == SinkType::kKafka && !c.sink.kafka.count("bootstrap.servers")) {
      Fail("sink.kafka.bootstrap.servers", "required key is missing (sink.type is kafka)");
    }
    // Avro and JSON Schema records are binary (the wire format's header): the sinks that carry keys
    // and values as bytes take them (Kafka, Redis's binary-safe fields, Kinesis's data blob with a
    // hashed partition key, RabbitMQ's body with the key in a byte-array header, NATS's payload
    // with the key header in base64); stdout writes text lines and Celery task messages are JSON.
    c.sink.rabbitmq.binary_headers = c.format.type != FormatType::kJson;
    c.sink.nats.binary_headers = c.format.type != FormatType::kJson;
    if (c.format.type != FormatType::kJson) {
      const char* why = nullptr;
      switch (c.sink.type) {
        case SinkType::kKafka:
        case SinkType::kRedis:
        case SinkType::kKinesis:
        case SinkType::kNats: break;
        case SinkType::kRabbitmq:
          if (!c.sink.rabbitmq.celery_task.empty()) {
            why = "sink.type rabbitmq with celery_task writes JSON task messages";
          }
          break;
        case SinkType::kStdout: why = "sink.type stdout writes text lines"; break;
      }
      if (why != nullptr) {
        Fail("format.type", std::string(WordOf(c.format.type)) + " records are binary, and " + why +
                                " (use kafka, redis, nats, kinesis, or rabbitmq without "
                                "celery_task)");
      }
    }
  }
  {
    MapReader o(top.Take("offsets"), "offsets");
    o.String("file", &c.offsets.file);
    o.Int("commit_interval_ms", &c.offsets.commit_interval_ms, 10, 600'000);
    o.Finish();
    if (c.offsets.file.empty()) c.offsets.file = "./pgcdc-" + c.name + ".offsets";
  }
  {
    MapReader l(top.Take("limits"), "limits");
    l.Int("max_inflight_events", &c.limits.max_inflight_events, int64_t{1}, int64_t{100'000'000});
    l.Int("max_inflight_bytes", &c.limits.max_inflight_bytes, int64_t{1} << 16, int64_t{1} << 40);
    l.Finish();
  }
  {
    MapReader h(top.Take("heartbeat"), "heartbeat");
    h.Int("interval_ms", &c.heartbeat.interval_ms, 0, 3'600'000);
    h.String("action_query", &c.heartbeat.action_query);
    h.Finish();
    if (c.heartbeat.interval_ms > 0 && c.heartbeat.interval_ms < 100) {
      Fail("heartbeat.interval_ms", "must be 0 (off) or at least 100");
    }
    if (!c.heartbeat.action_query.empty() && c.heartbeat.interval_ms == 0) {
      Fail("heartbeat.action_query", "needs heartbeat.interval_ms > 0");
    }
  }
  {
    MapReader l(top.Take("log"), "log");
    l.OneOf("level", &c.log.level);
    l.OneOf("format", &c.log.format);
    l.Finish();
  }
  {
    MapReader m(top.Take("metrics"), "metrics");
    m.String("listen", &c.metrics.listen);
    m.Int("readiness_max_blocked_ms", &c.metrics.readiness_max_blocked_ms, 100, 3'600'000);
    m.Finish();
    if (!c.metrics.listen.empty() && c.metrics.listen.rfind(':') == std::string::npos) {
      Fail("metrics.listen", "must be host:port (or \"\" to turn the endpoint off)");
    }
  }
  ParseTopics(top.Take("topics"), &c);
  top.Finish();
  return c;
}

}  // namespace

std::string ResolveReference(const std::string& ref, const std::string& key) {
  if (ref.rfind("file:", 0) == 0) {
    // ${file:/run/secrets/pg} reads a secret file (Docker/Kubernetes secrets); one trailing
    // newline is dropped. The content is a secret: never echoed, and redacted from all output.
    const std::string path = ref.substr(5);
    std::ifstream in(path, std::ios::binary);
    if (!in) Fail(key, "cannot read secret file " + path);
    // Bounded: a secret is small, and /dev/zero or a FIFO must not hang the start.
    constexpr size_t kMaxSecret = 64 * 1024;
    std::string content(kMaxSecret + 1, '\0');
    in.read(content.data(), static_cast<std::streamsize>(content.size()));
    content.resize(static_cast<size_t>(in.gcount()));
    if (content.size() > kMaxSecret) Fail(key, "secret file " + path + " is larger than 64 KiB");
    if (!content.empty() && content.back() == '\n') content.pop_back();
    if (!content.empty() && content.back() == '\r') content.pop_back();
    AddSecret(content);
    return content;
  }
  const char* v = std::getenv(ref.c_str());
  if (v == nullptr) Fail(key, "environment variable " + ref + " is not set");
  return v;
}

std::string ExpandEnv(const std::string& value, const std::string& key) {
  std::string out;
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] != '$') {
      out.push_back(value[i]);
      continue;
    }
    if (i + 1 < value.size() && value[i + 1] == '$') {
      out.push_back('$');
      ++i;
      continue;
    }
    if (i + 1 < value.size() && value[i + 1] == '{') {
      size_t end = value.find('}', i + 2);
      if (end == std::string::npos) Fail(key, "unterminated ${ in value");
      out.append(ResolveReference(value.substr(i + 2, end - i - 2), key));
      i = end;
      continue;
    }
    out.push_back('$');
  }
  return out;
}

bool IsSecretKafkaProperty(const std::string& name) {
  for (const char* part : {"password", "secret", "key.pem", "sasl.oauthbearer.config"}) {
    if (name.find(part) != std::string::npos) return true;
  }
  return false;
}

Config LoadString(const std::string& yaml) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    throw ConfigError("invalid YAML at line " + std::to_string(e.mark.line + 1) + ", column " +
                      std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  if (!root || root.IsNull()) throw ConfigError("configuration is empty");
  try {
    return Parse(root);
  } catch (const YAML::Exception& e) {
    throw ConfigError("invalid configuration: " + e.msg);
  }
}

Config LoadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError("cannot read configuration file '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  try {
    return LoadString(ss.str());
  } catch (const ConfigError& e) {
    throw ConfigError(path + ": " + e.what());
  }
}

}  // namespace cdc::config
