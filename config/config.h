#pragma once

// The typed configuration of one pgcdc instance. Every key, its default and its meaning is
// documented in config/pgcdc.example.yaml; config_loader.cc is where keys are declared and
// validated. Plain data: no behaviour, no dependency on the rest of pgcdc.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace cdc::config {

// How pgoutput sends column values (README "Memory"). kAuto: binary on PostgreSQL 14+ when
// every captured column's type has a binary decoder, else text; decided on every (re)connect.
enum class ValueTransfer { kAuto, kText, kBinary };

struct SourceConfig {
  std::string dsn;          // libpq conninfo; ${ENV} already expanded
  std::string slot;         // default pgcdc_<name>
  std::string publication;  // default pgcdc_<name>
  std::vector<std::string> tables;  // include patterns "schema.table" with '*'; empty = all
  std::vector<std::string> column_exclude_list;  // "schema.table.column" patterns
  bool create_publication = true;
  int status_interval_ms = 10000;
  int reconnect_max_backoff_ms = 30000;
  ValueTransfer value_transfer = ValueTransfer::kAuto;  // auto | text | binary
};

struct SnapshotConfig {
  // initial | initial_only | never | always | when_needed (README "Snapshots")
  std::string mode = "initial";
  int parallelism = 2;           // worker connections importing the slot's exported snapshot
  int64_t chunk_pages = 16384;   // a table larger than this is split into CTID ranges of it
  int progress_interval_ms = 10000;
};

struct FormatConfig {
  bool schemas = true;
  bool tombstones = true;
  std::string decimal_handling = "precise";  // precise | double | string
  std::string binary_handling = "bytes";     // bytes | base64 | base64-url-safe | hex
  std::string time_precision = "adaptive";   // adaptive | adaptive_time_microseconds | connect
  std::string interval_handling = "numeric"; // numeric | string
  std::vector<std::string> skipped_operations = {"t"};  // any of c,u,d,t
  std::string unavailable_value_placeholder = "__debezium_unavailable_value";
  std::string source_version;  // source.version; default "pgcdc-<version>"
  bool transaction_metadata = false;  // BEGIN/END on <name>.transaction + event blocks
  bool messages = true;  // logical decoding messages as op "m" on <name>.message (PG14+)
  std::vector<std::string> message_prefixes;  // globs; empty = every prefix
  std::string hstore_handling = "json";  // json | map
  std::string unknown_types = "fail";    // fail | string | skip
  // "schema.table" pattern -> columns that key its events instead of the primary key.
  std::vector<std::pair<std::string, std::vector<std::string>>> message_key_columns;
};

struct HeartbeatConfig {
  int interval_ms = 0;       // 0 = off; else a record on __debezium-heartbeat.<name> this often
  std::string action_query;  // optional SQL run on the source at each heartbeat
};

struct SinkConfig {
  std::string type = "kafka";  // kafka | stdout
  std::map<std::string, std::string> kafka;  // librdkafka properties, passed through
  // Where events the broker refuses for good (too large, not authorized, invalid) go instead of
  // stopping pgcdc; "" (default) = stop with the table, key and reason.
  std::string dead_letter_topic;
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
  std::string level = "info";  // trace | debug | info | warn | error
  std::string format = "text";  // text | json (one JSON object per line, for log shippers)
};

struct MetricsConfig {
  std::string listen = "127.0.0.1:9187";  // /metrics, /healthz, /readyz; "" = off; port 0 = any
  int readiness_max_blocked_ms = 30000;   // /readyz fails when no ack came for this long
};

struct Config {
  std::string name;
  SourceConfig source;
  SnapshotConfig snapshot;
  FormatConfig format;
  SinkConfig sink;
  OffsetsConfig offsets;
  LimitsConfig limits;
  HeartbeatConfig heartbeat;
  LogConfig log;
  MetricsConfig metrics;
};

}  // namespace cdc::config
