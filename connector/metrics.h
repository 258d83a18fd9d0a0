#pragma once

// Metrics: what pgcdc exposes on /metrics (Prometheus text format 0.0.4) and what /readyz
// decides from. Counters and gauges are atomics written by the replication thread and the
// snapshot workers; Render() and Ready() run on the HTTP server's threads.
//
// Owned by the Runner; outlives the MetricsServer that reads it.

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "connector/snapshot_progress.h"
#include "decoders/base/thread_annotations.h"

namespace cdc::connector {

enum class RunState : int { kStarting, kSnapshotting, kStreaming, kReconnecting, kStopping };

class Metrics {
 public:
  Metrics();

  // One event handed to the sink: counted by table and op (0 = tombstone). Thread-safe.
  void CountEvent(std::string_view table, char op, size_t bytes);
  // A transaction fully acknowledged `seconds` after its commit.
  void ObserveCommitToAck(double seconds);
  // While a snapshot runs, where to read its progress from (nullptr afterwards).
  void SetSnapshotSource(std::function<std::vector<TableProgress>()> progress);
  // An incremental snapshot published `rows` records in `chunks` chunks of `table` (`done`: it
  // finished). Thread-safe.
  void ObserveIncremental(const std::string& table, uint64_t rows, uint64_t chunks, bool done);

  std::atomic<int> state{static_cast<int>(RunState::kStarting)};
  std::atomic<uint64_t> delivery_errors{0};
  std::atomic<uint64_t> dead_lettered{0};
  std::atomic<uint64_t> queue_full_waits{0};
  std::atomic<uint64_t> reconnects{0};
  std::atomic<int64_t> inflight_events{0};
  std::atomic<int64_t> inflight_bytes{0};
  std::atomic<uint64_t> confirmed_lsn{0};
  std::atomic<uint64_t> wal_end_lsn{0};      // the server's WAL end, from XLogData and keepalives
  std::atomic<int64_t> last_ack_unix_ms{0};  // when the sink last acknowledged an event
  std::atomic<int64_t> last_commit_unix_ms{0};  // commit time of the last acknowledged txn
  // Since when events have been waiting with none acknowledged (0: not blocked).
  std::atomic<int64_t> blocked_since_unix_ms{0};
  // The schema registry (format avro): requests made, and since when it has been unreachable
  // with a schema waiting for its id (0: not down).
  std::atomic<uint64_t> registry_requests{0};
  std::atomic<int64_t> registry_down_since_unix_ms{0};
  // Changes to the capture set (pgcdc_capture_changes_total{change}): tables added to and
  // removed from the publication pgcdc manages, and tables left out of it for want of a usable
  // replica identity (each time one starts being left out).
  std::atomic<uint64_t> capture_added{0};
  std::atomic<uint64_t> capture_removed{0};
  std::atomic<uint64_t> capture_left_out{0};

  std::string Render() const;
  // Streaming or snapshotting, and not blocked on the sink for longer than `max_blocked_ms`.
  bool Ready(int64_t now_unix_ms, int64_t max_blocked_ms, std::string* why) const;

 private:
  struct Counter {
    std::atomic<uint64_t> events{0};
    std::atomic<uint64_t> bytes{0};
  };
  static constexpr std::array<double, 12> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                      0.1,   0.25,   0.5,   1,    2.5,   10};

  // (table, op) keys, looked up by string_view without allocating.
  struct KeyLess {
    using is_transparent = void;
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      const std::string_view at(a.first), bt(b.first);
      return at < bt || (at == bt && a.second < b.second);
    }
  };
  uint64_t id_ = 0;  // unique per instance, for CountEvent's per-thread cache
  mutable Mutex mu_;
  std::map<std::pair<std::string, char>, Counter, KeyLess> events_ GUARDED_BY(mu_);
  std::array<std::atomic<uint64_t>, kBuckets.size() + 1> latency_buckets_{};
  std::atomic<uint64_t> latency_count_{0};
  std::atomic<uint64_t> latency_sum_us_{0};
  std::function<std::vector<TableProgress>()> snapshot_progress_ GUARDED_BY(mu_);
  std::vector<TableProgress> last_snapshot_ GUARDED_BY(mu_);  // kept after the snapshot ends
  struct Incremental {
    uint64_t rows = 0;
    uint64_t chunks = 0;
    bool done = false;
  };
  std::map<std::string, Incremental> incremental_ GUARDED_BY(mu_);
};

int64_t UnixMillis();

}  // namespace cdc::connector
