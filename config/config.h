#pragma once

// The typed configuration of one pgcdc instance. Every key, its default and its meaning is
// documented in config/pgcdc.example.yaml; config_loader.cc is where keys are declared and
// validated. Plain data: no behaviour, no dependency on the rest of pgcdc.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace cdc::config {

// The words of the YAML file, parsed once at load (config_words.h has the spellings): nothing
// after load compares configuration strings, and an unknown word never becomes a silent default.
enum class SnapshotMode { kInitial, kInitialOnly, kNever, kAlways, kWhenNeeded };
enum class DecimalMode { kPrecise, kDouble, kString };
enum class BinaryMode { kBytes, kBase64, kBase64UrlSafe, kHex };
enum class TimePrecisionMode {
  kAdaptive,
  kAdaptiveTimeMicroseconds,
  kConnect,
  kIsoString,
  kMicroseconds,
  kNanoseconds,
};
enum class IntervalMode { kNumeric, kString };
// format.schema_name_adjustment / format.field_name_adjustment: Debezium's
// schema.name.adjustment.mode / field.name.adjustment.mode.
enum class NameAdjustmentMode { kNone, kAvro, kAvroUnicode };
enum class HstoreMode { kJson, kMap };
// format.type. protobuf (issue #17) is not built yet.
enum class FormatType { kJson, kAvro, kJsonSchema, kProtobuf };
// format.schema_registry.subject_strategy: Confluent's Topic/Record/TopicRecord NameStrategy.
enum class SubjectNameStrategy { kTopic, kRecord, kTopicRecord };
enum class UnknownTypes { kFail, kString, kSkip, kBytes };
enum class SinkType { kKafka, kStdout, kRedis, kNats, kRabbitmq, kKinesis };
enum class RedisMessageFormat { kCompact, kExtended };
// sink.redis.entry_ids: stream entry ids from the source position (Redis refuses a re-publication)
// or Redis's own ("*").
enum class RedisEntryIds { kPosition, kAuto };
enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError };
enum class LogFormat { kText, kJson };
// What a table that joins the capture set while pgcdc runs gets (README "Incremental snapshots").
enum class NewTablesMode { kIncremental, kSkip };

// How pgoutput sends column values (README "Memory"). kAuto: binary on PostgreSQL 14+ when
// every captured column's type has a binary decoder, else text; decided on every (re)connect.
enum class ValueTransfer { kAuto, kText, kBinary };

// How a partitioned table is captured (README "Partitioned tables"). kRoot: through its root, one
// topic per partitioned table (publish_via_partition_root = true); kLeaves: one topic per leaf.
enum class PartitionMode { kRoot, kLeaves };

struct SourceConfig {
  std::string dsn;                  // libpq conninfo; ${ENV} already expanded
  std::string slot;                 // default pgcdc_<name>
  std::string publication;          // default pgcdc_<name>
  std::vector<std::string> tables;  // include patterns "schema.table" with '*'; empty = all
  std::vector<std::string> column_exclude_list;  // "schema.table.column" patterns
  bool create_publication = true;
  int status_interval_ms = 10000;
  int reconnect_max_backoff_ms = 30000;
  ValueTransfer value_transfer = ValueTransfer::kAuto;  // auto | text | binary
  PartitionMode partitions = PartitionMode::kRoot;      // root | leaves
  int reconcile_interval_ms = 10000;  // the publication follows `tables` this often (0 = at start)
};

struct SnapshotConfig {
  SnapshotMode mode = SnapshotMode::kInitial;  // README "Snapshots"
  int parallelism = 2;          // worker connections importing the slot's exported snapshot
  int64_t chunk_pages = 16384;  // a table larger than this is split into CTID ranges of it
  int progress_interval_ms = 10000;
  // Incremental snapshots (README "Incremental snapshots"): rows per keyset chunk, and what a
  // table that joins the capture set while running (or by a config change) gets.
  int chunk_size = 4096;
  NewTablesMode new_tables = NewTablesMode::kIncremental;
};

// Debezium-compatible signalling (README "Signals").
struct SignalsConfig {
  std::string table;  // schema.table with columns (id, type, data); empty = no signal table
};

// format.schema_registry: the Confluent Schema Registry the avro format registers its schemas
// with (config/format_section.h parses it).
struct SchemaRegistryConfig {
  std::vector<std::string> urls;  // http[s]://host:port[/path], tried in order (failover)
  std::string user;               // basic auth (from basic_auth "user:password" or the URL)
  std::string password;           // never printed (registered with redact.h)
  std::string ssl_ca_location;    // https: the CA bundle ("" = the system's)
  std::string ssl_certificate_location, ssl_key_location;  // client certificate
  SubjectNameStrategy subject_strategy = SubjectNameStrategy::kTopic;
  bool auto_register = true;        // false: look schemas up, fail when not registered
  bool use_latest_version = false;  // use the subject's latest id instead of registering
  int request_timeout_ms = 10000;   // per HTTP request
};

struct FormatConfig {
  FormatType type = FormatType::kJson;
  SchemaRegistryConfig schema_registry;  // type avro, json_schema, protobuf
  // type protobuf: ProtobufConverter's optional.for.nullables (format.protobuf
  // .optional_for_nullables): optional fields get proto3's `optional`, so a reader tells a NULL
  // (absent) from a zero. Off by default, as in the converter (and so the same schema text).
  bool protobuf_optional_for_nullables = false;
  bool schemas = true;
  bool tombstones = true;
  DecimalMode decimal_handling = DecimalMode::kPrecise;
  BinaryMode binary_handling = BinaryMode::kBytes;
  TimePrecisionMode time_precision = TimePrecisionMode::kAdaptive;
  IntervalMode interval_handling = IntervalMode::kNumeric;
  NameAdjustmentMode schema_name_adjustment = NameAdjustmentMode::kNone;  // Key/Value/Envelope
  NameAdjustmentMode field_name_adjustment = NameAdjustmentMode::kNone;   // column names
  std::vector<std::string> skipped_operations = {"t"};                    // any of c,u,d,t
  std::string unavailable_value_placeholder = "__debezium_unavailable_value";
  std::string source_version;         // source.version; default "pgcdc-<version>"
  bool transaction_metadata = false;  // BEGIN/END on <name>.transaction + event blocks
  bool messages = true;  // logical decoding messages as op "m" on <name>.message (PG14+)
  std::vector<std::string> message_prefixes;  // globs; empty = every prefix
  HstoreMode hstore_handling = HstoreMode::kJson;
  UnknownTypes unknown_types = UnknownTypes::kFail;
  // Debezium's extended.headers.enabled: the __debezium.context.* headers on data change records.
  bool extended_headers = true;
  int money_fraction_digits = 2;  // Debezium's money.fraction.digits
  // Debezium's column.propagate.source.type: regexes over "schema.table.column", and
  // datatype.propagate.source.type: over "schema.table.typname"; whole match, ignoring case.
  std::vector<std::string> column_propagate_source_type;
  std::vector<std::string> datatype_propagate_source_type;
  // "schema.table" pattern -> columns that key its events instead of the primary key.
  std::vector<std::pair<std::string, std::vector<std::string>>> message_key_columns;
};

struct HeartbeatConfig {
  int interval_ms = 0;       // 0 = off; else a record on __debezium-heartbeat.<name> this often
  std::string action_query;  // optional SQL run on the source at each heartbeat
};

// sink.redis: the url is parsed at load ("redis://[user:password@]host[:port][/db]").
struct RedisConfig {
  std::string url;  // as written (it may hold the password: never printed)
  std::string host;
  int port = 6379;
  int db = 0;
  std::string user;      // "" = the default user (AUTH <password>)
  std::string password;  // "" = no AUTH
  RedisMessageFormat message_format = RedisMessageFormat::kCompact;
  RedisEntryIds entry_ids = RedisEntryIds::kPosition;
  // sink.redis.max_len: 0 (default, as Debezium Server) = no trimming; else every XADD trims its
  // stream to about this many entries (MAXLEN ~ N), or exactly (max_len_approximate: false).
  int64_t max_len = 0;
  bool max_len_approximate = true;
};

struct SinkConfig {
  SinkType type = SinkType::kKafka;
  std::map<std::string, std::string> kafka;  // librdkafka properties, passed through
  // Where events the broker refuses for good (too large, not authorized, invalid) go instead of
  // stopping pgcdc; "" (default) = stop with the table, key and reason.
  std::string dead_letter_topic;
  RedisConfig redis;  // sink.type redis
  struct Nats {
    std::vector<std::string> urls = {"nats://127.0.0.1:4222"};  // user:password@ allowed
    std::string stream = "PGCDC";  // created if missing, capturing the name's subjects
    std::string creds_file;        // NATS .creds file (user JWT + NKey seed)
    std::string token;
    std::string tls_ca_file;  // set (or a tls:// URL): TLS, server verified against this CA
    std::string tls_cert_file, tls_key_file;  // client certificate, if the server asks for one
    int ack_timeout_ms = 30000;   // a PubAck not back by then fails the event (LSN stays)
    std::string topic_prefix;     // = name (set by the loader): the subjects the stream captures
    bool binary_headers = false;  // = format.type is not json (set by the loader): base64 headers
  } nats;
  // sink.rabbitmq: the url is parsed at load ("amqp[s]://user:password@host:port/vhost").
  struct Rabbitmq {
    std::string url = "amqp://guest:guest@127.0.0.1:5672/%2f";  // as written: never printed
    std::string host = "127.0.0.1";
    int port = 5672;   // 5671 for amqps:// without a port
    bool tls = false;  // amqps://
    // TLS (amqps:// only): the CA bundle that signs the broker's certificate ("" = the
    // system's), a client certificate and its key (both or neither), and whether the broker's
    // certificate and host name are verified (off only for tests).
    std::string tls_ca_file, tls_cert_file, tls_key_file;
    bool tls_verify = true;
    std::string user = "guest", password = "guest";
    std::string vhost = "/";
    std::string exchange = "pgcdc";  // durable topic exchange, declared if missing
    std::string celery_task;         // set: Celery protocol v2 task messages instead
    std::string celery_queue = "celery";
    int ack_timeout_ms = 30000;  // a confirm not back by then fails the event (LSN stays)
    // = format.type is not json (set by the loader): keys and record headers are binary, sent
    // as AMQP byte arrays instead of text.
    bool binary_headers = false;
  } rabbitmq;
  // sink.kinesis: one Kinesis stream per topic; credentials come from the AWS environment
  // variables or the shared credentials file, read when the sink starts (never stored here).
  struct Kinesis {
    std::string region;           // required with sink.type kinesis, e.g. "us-east-1"
    std::string endpoint;         // "" = https://kinesis.<region>.amazonaws.com
    bool create_streams = false;  // true: CreateStream for a missing stream, wait until ACTIVE
    int shard_count = 1;          // of the streams pgcdc creates
  } kinesis;
};

struct OffsetsConfig {
  std::string file;  // default ./pgcdc-<name>.offsets
  int commit_interval_ms = 1000;
};

struct LimitsConfig {
  int64_t max_inflight_events = 50000;
  int64_t max_inflight_bytes = 16LL << 20;  // bounds RSS (README "Memory")
};

struct LogConfig {
  LogLevel level = LogLevel::kInfo;
  LogFormat format = LogFormat::kText;  // json: one JSON object per line, for log shippers
};

struct MetricsConfig {
  std::string listen = "127.0.0.1:9187";  // /metrics, /healthz, /readyz; "" = off; port 0 = any
  int readiness_max_blocked_ms = 30000;   // /readyz fails when no ack came for this long
};

struct Config {
  std::string name;
  SourceConfig source;
  SnapshotConfig snapshot;
  SignalsConfig signals;
  FormatConfig format;
  SinkConfig sink;
  OffsetsConfig offsets;
  LimitsConfig limits;
  HeartbeatConfig heartbeat;
  LogConfig log;
  MetricsConfig metrics;
  // topics: per-table topic overrides, in file order: an include-list entry (source.tables'
  // syntax, quotes included) -> the topic its tables' events go to instead of
  // <name>.<schema>.<table>. The first entry that matches a table wins.
  std::vector<std::pair<std::string, std::string>> topics;
};

}  // namespace cdc::config
