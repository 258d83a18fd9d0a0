#include "connector/metrics.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>

namespace cdc::connector {

namespace {

const char* StateName(int s) {
  switch (static_cast<RunState>(s)) {
    case RunState::kStarting: return "starting";
    case RunState::kSnapshotting: return "snapshotting";
    case RunState::kStreaming: return "streaming";
    case RunState::kReconnecting: return "reconnecting";
    case RunState::kStopping: return "stopping";
  }
  return "unknown";
}

// Label values: backslash, double quote and newline escaped (exposition format).
std::string Label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

void Metric(std::string* out, const char* name, const char* type, const char* help) {
  *out += "# HELP ";
  *out += name;
  *out += ' ';
  *out += help;
  *out += "\n# TYPE ";
  *out += name;
  *out += ' ';
  *out += type;
  *out += '\n';
}

void Sample(std::string* out, const std::string& name_and_labels, double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), " %.17g\n", v);
  *out += name_and_labels;
  *out += buf;
}

int64_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  long pages_total = 0, pages_resident = 0;
  if (!(statm >> pages_total >> pages_resident)) return 0;
  return static_cast<int64_t>(pages_resident) * sysconf(_SC_PAGESIZE);
}

}  // namespace

int64_t UnixMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Metrics::Metrics() {
  static std::atomic<uint64_t> next_id{1};
  id_ = next_id.fetch_add(1);
}

void Metrics::CountEvent(std::string_view table, char op, size_t bytes) {
  // Consecutive events mostly share table and op (always, in a snapshot worker): each thread
  // remembers its last counter, so the hot path takes no lock. Counters are never erased, so
  // the pointer stays valid; the instance id keeps Metrics objects apart (even one allocated
  // where a destroyed one was).
  struct LastHit {
    uint64_t owner = 0;
    std::string table;
    char op = 0;
    Counter* counter = nullptr;
  };
  thread_local LastHit last;
  if (last.owner != id_ || last.op != op || last.table != table) {
    MutexLock lock(&mu_);
    auto it = events_.find(std::pair<std::string_view, char>(table, op));
    if (it == events_.end()) it = events_.try_emplace({std::string(table), op}).first;
    last.owner = id_;
    last.table.assign(table);
    last.op = op;
    last.counter = &it->second;
  }
  last.counter->events.fetch_add(1, std::memory_order_relaxed);
  last.counter->bytes.fetch_add(bytes, std::memory_order_relaxed);
}

void Metrics::ObserveCommitToAck(double seconds) {
  size_t i = 0;
  while (i < kBuckets.size() && seconds > kBuckets[i]) ++i;
  latency_buckets_[i].fetch_add(1, std::memory_order_relaxed);
  latency_count_.fetch_add(1, std::memory_order_relaxed);
  latency_sum_us_.fetch_add(static_cast<uint64_t>(std::max(seconds, 0.0) * 1e6),
                            std::memory_order_relaxed);
}

void Metrics::SetSnapshotSource(std::function<std::vector<TableProgress>()> progress) {
  MutexLock lock(&mu_);
  if (!progress && snapshot_progress_) last_snapshot_ = snapshot_progress_();
  snapshot_progress_ = std::move(progress);
}

void Metrics::ObserveIncremental(const std::string& table, uint64_t rows, uint64_t chunks,
                                 bool done) {
  MutexLock lock(&mu_);
  Incremental& i = incremental_[table];
  i.rows += rows;
  i.chunks += chunks;
  i.done = done;
}

bool Metrics::Ready(int64_t now, int64_t max_blocked_ms, std::string* why) const {
  const int s = state.load();
  if (s != static_cast<int>(RunState::kStreaming) &&
      s != static_cast<int>(RunState::kSnapshotting)) {
    *why = std::string("state is ") + StateName(s);
    return false;
  }
  const int64_t since = blocked_since_unix_ms.load();
  if (since != 0 && now - since > max_blocked_ms) {
    *why = "no delivery acknowledged for " + std::to_string((now - since) / 1000) +
           " s with events waiting (sink unreachable or slow)";
    return false;
  }
  if (const int64_t down = registry_down_since_unix_ms.load(); down != 0) {
    *why = "schema registry unreachable for " + std::to_string((now - down) / 1000) +
           " s (a schema waits for its id; the LSN holds)";
    return false;
  }
  *why = StateName(s);
  return true;
}

std::string Metrics::Render() const {
  std::string out;
  out.reserve(4096);
  Metric(&out, "pgcdc_state", "gauge", "1 for the current state of the connector.");
  for (int s = 0; s <= static_cast<int>(RunState::kStopping); ++s) {
    Sample(&out, std::string("pgcdc_state{state=\"") + StateName(s) + "\"}",
           state.load() == s ? 1 : 0);
  }
  {
    MutexLock lock(&mu_);
    Metric(&out, "pgcdc_events_total", "counter",
           "Events handed to the sink, by table and op (r c u d t m; tombstone for null values).");
    for (const auto& [k, c] : events_) {
      const std::string op = k.second == 0 ? "tombstone" : std::string(1, k.second);
      Sample(&out, "pgcdc_events_total{table=\"" + Label(k.first) + "\",op=\"" + op + "\"}",
             static_cast<double>(c.events.load()));
    }
    Metric(&out, "pgcdc_event_bytes_total", "counter", "Key + value bytes handed to the sink.");
    for (const auto& [k, c] : events_) {
      const std::string op = k.second == 0 ? "tombstone" : std::string(1, k.second);
      Sample(&out, "pgcdc_event_bytes_total{table=\"" + Label(k.first) + "\",op=\"" + op + "\"}",
             static_cast<double>(c.bytes.load()));
    }
    const auto progress = snapshot_progress_ ? snapshot_progress_() : last_snapshot_;
    Metric(&out, "pgcdc_snapshot_rows", "gauge", "Rows read by the snapshot, per table.");
    for (const auto& t : progress) {
      Sample(&out, "pgcdc_snapshot_rows{table=\"" + Label(t.table) + "\"}",
             static_cast<double>(t.rows_done));
    }
    Metric(&out, "pgcdc_snapshot_rows_estimate", "gauge",
           "pg_class.reltuples of each snapshotted table when the snapshot started (-1: unknown).");
    for (const auto& t : progress) {
      Sample(&out, "pgcdc_snapshot_rows_estimate{table=\"" + Label(t.table) + "\"}",
             static_cast<double>(t.rows_estimate));
    }
    Metric(&out, "pgcdc_snapshot_table_done", "gauge", "1 when the table's snapshot is read.");
    for (const auto& t : progress) {
      Sample(&out, "pgcdc_snapshot_table_done{table=\"" + Label(t.table) + "\"}", t.done ? 1 : 0);
    }
    Metric(&out, "pgcdc_incremental_snapshot_rows_total", "counter",
           "Rows an incremental snapshot published (op r), per table, in this process.");
    for (const auto& [table, i] : incremental_) {
      Sample(&out, "pgcdc_incremental_snapshot_rows_total{table=\"" + Label(table) + "\"}",
             static_cast<double>(i.rows));
    }
    Metric(&out, "pgcdc_incremental_snapshot_chunks_total", "counter",
           "Chunks an incremental snapshot published, per table, in this process.");
    for (const auto& [table, i] : incremental_) {
      Sample(&out, "pgcdc_incremental_snapshot_chunks_total{table=\"" + Label(table) + "\"}",
             static_cast<double>(i.chunks));
    }
    Metric(&out, "pgcdc_incremental_snapshot_done", "gauge",
           "1 when the table's incremental snapshot finished.");
    for (const auto& [table, i] : incremental_) {
      Sample(&out, "pgcdc_incremental_snapshot_done{table=\"" + Label(table) + "\"}",
             i.done ? 1 : 0);
    }
  }
  Metric(&out, "pgcdc_delivery_errors_total", "counter", "Events the sink refused for good.");
  Sample(&out, "pgcdc_delivery_errors_total", static_cast<double>(delivery_errors.load()));
  Metric(&out, "pgcdc_dead_lettered_total", "counter",
         "Events refused for good and sent to sink.dead_letter_topic instead.");
  Sample(&out, "pgcdc_dead_lettered_total", static_cast<double>(dead_lettered.load()));
  Metric(&out, "pgcdc_sink_queue_full_total", "counter",
         "Times a send waited because the sink's local queue was full.");
  Sample(&out, "pgcdc_sink_queue_full_total", static_cast<double>(queue_full_waits.load()));
  Metric(&out, "pgcdc_schema_registry_requests_total", "counter",
         "HTTP requests made to the schema registry (format avro, json_schema, protobuf): one per "
         "new schema.");
  Sample(&out, "pgcdc_schema_registry_requests_total",
         static_cast<double>(registry_requests.load()));
  Metric(&out, "pgcdc_schema_registry_down", "gauge",
         "1 while the schema registry is unreachable with a schema waiting for its id.");
  Sample(&out, "pgcdc_schema_registry_down", registry_down_since_unix_ms.load() != 0 ? 1 : 0);
  Metric(&out, "pgcdc_capture_changes_total", "counter",
         "Tables added to or removed from the publication pgcdc manages, and tables left out of "
         "it (no usable replica identity).");
  Sample(&out, "pgcdc_capture_changes_total{change=\"added\"}",
         static_cast<double>(capture_added.load()));
  Sample(&out, "pgcdc_capture_changes_total{change=\"removed\"}",
         static_cast<double>(capture_removed.load()));
  Sample(&out, "pgcdc_capture_changes_total{change=\"left_out\"}",
         static_cast<double>(capture_left_out.load()));
  Metric(&out, "pgcdc_reconnects_total", "counter", "Replication connections re-established.");
  Sample(&out, "pgcdc_reconnects_total", static_cast<double>(reconnects.load()));
  Metric(&out, "pgcdc_inflight_events", "gauge", "Events sent and not yet acknowledged.");
  Sample(&out, "pgcdc_inflight_events", static_cast<double>(inflight_events.load()));
  Metric(&out, "pgcdc_inflight_bytes", "gauge", "Bytes sent and not yet acknowledged.");
  Sample(&out, "pgcdc_inflight_bytes", static_cast<double>(inflight_bytes.load()));
  const uint64_t confirmed = confirmed_lsn.load();
  const uint64_t wal_end = wal_end_lsn.load();
  Metric(&out, "pgcdc_confirmed_lsn", "gauge", "LSN confirmed to the slot (and offsets file).");
  Sample(&out, "pgcdc_confirmed_lsn", static_cast<double>(confirmed));
  Metric(&out, "pgcdc_server_wal_end_lsn", "gauge", "The server's WAL end as last reported.");
  Sample(&out, "pgcdc_server_wal_end_lsn", static_cast<double>(wal_end));
  Metric(&out, "pgcdc_slot_lag_bytes", "gauge",
         "WAL the slot retains for pgcdc: server WAL end minus confirmed LSN.");
  Sample(&out, "pgcdc_slot_lag_bytes",
         wal_end > confirmed ? static_cast<double>(wal_end - confirmed) : 0.0);
  Metric(&out, "pgcdc_commit_to_ack_seconds", "histogram",
         "From a transaction's commit on the source to the sink acknowledging its last event.");
  uint64_t cumulative = 0;
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    cumulative += latency_buckets_[i].load();
    char le[32];
    std::snprintf(le, sizeof(le), "%g", kBuckets[i]);
    Sample(&out, std::string("pgcdc_commit_to_ack_seconds_bucket{le=\"") + le + "\"}",
           static_cast<double>(cumulative));
  }
  Sample(&out, "pgcdc_commit_to_ack_seconds_bucket{le=\"+Inf\"}",
         static_cast<double>(latency_count_.load()));
  Sample(&out, "pgcdc_commit_to_ack_seconds_sum",
         static_cast<double>(latency_sum_us_.load()) / 1e6);
  Sample(&out, "pgcdc_commit_to_ack_seconds_count", static_cast<double>(latency_count_.load()));
  const int64_t now = UnixMillis();
  const int64_t last_commit = last_commit_unix_ms.load();
  Metric(&out, "pgcdc_last_event_age_seconds", "gauge",
         "Now minus the commit time of the last fully acknowledged transaction (-1: none yet).");
  Sample(&out, "pgcdc_last_event_age_seconds",
         last_commit ? static_cast<double>(now - last_commit) / 1000 : -1.0);
  Metric(&out, "pgcdc_resident_memory_bytes", "gauge", "Resident set size of the process.");
  Sample(&out, "pgcdc_resident_memory_bytes", static_cast<double>(ResidentBytes()));
  return out;
}

}  // namespace cdc::connector
