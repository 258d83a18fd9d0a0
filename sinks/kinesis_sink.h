#pragma once

// KinesisSink: writes events to Amazon Kinesis Data Streams with PutRecords, in Debezium
// Server's layout: one stream per topic (the stream name is the topic name), partition key =
// the event's key, data = the value. A null key is the partition key "default" (Debezium
// Server's null.key). A key Kinesis cannot take as a partition key (longer than its 256
// characters, or not UTF-8 text: Avro's binary keys) is replaced by the lower-case hex SHA-256
// of its bytes (64 characters): stable, so one key always lands on one shard. Tombstones are not
// written (Kafka's compaction device); they are reported delivered in their turn.
//
// Batching and order: records wait in one queue per stream, in Send order. Each Poll() sends at
// most one PutRecords call per stream (<= 500 records, <= 5 MiB of data and partition keys), made
// of the first queued record of each key, at most one record per key (null keys excepted: they
// have no order to keep, as in Kafka where they spread over partitions). A record whose earlier
// same-key record is not yet acknowledged is not sent, so a record Kinesis fails
// (ProvisionedThroughputExceeded, InternalFailure) is sent again before anything later of its key:
// order per key holds through retries. A hot key so gets one record per call.
//
// Delivery (the EventSink contract): a record is reported OK once PutRecords returned a sequence
// number for it. A failed record, an unreachable endpoint, a timeout, 5xx or throttling reports
// nothing: the records wait, and the stream is tried again after a backoff (0.2 s doubling to
// 5 s); the confirmed LSN waits meanwhile. Records whose reply was lost may so be written twice
// (at-least-once). A missing stream is created (create_streams; the stream's records wait until it
// is ACTIVE) or fails every queued record of that stream with one line naming it. Any other error
// (denied, bad credentials, invalid) fails the call's records. A record larger than Kinesis's
// 1 MiB (data + partition key) is refused by Send() (OnRefused, then an error): no dead-letter
// path for this sink.
//
// Ownership: owns its KinesisClient and a copy of every unreported record; the listener must
// outlive the sink. Destruction reports what is still queued as failed; callers drain first.
// Threads: one thread at a time (thread_safe() is false). All I/O happens in Poll(), Flush(),
// CheckReachable() and CheckStreams() on the caller's thread, each HTTP call blocking it for up
// to kCallTimeoutMs.

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sinks/aws_credentials.h"
#include "sinks/event_sink.h"
#include "sinks/kinesis_client.h"

namespace cdc::sinks {

struct KinesisOptions {
  std::string endpoint;  // http[s]://host[:port]
  std::string region;
  AwsCredentials credentials;
  bool create_streams = false;
  int shard_count = 1;  // of created streams
};

class KinesisSink final : public EventSink {
 public:
  static constexpr size_t kMaxRecordsPerCall = 500;
  static constexpr size_t kMaxBytesPerCall = 5 * 1024 * 1024;
  static constexpr size_t kMaxRecordBytes = 1024 * 1024;  // data + partition key
  static constexpr size_t kMaxPartitionKeyChars = 256;
  static constexpr int kCallTimeoutMs = 10000;

  KinesisSink(KinesisOptions options, DeliveryListener* listener);
  ~KinesisSink() override;
  KinesisSink(const KinesisSink&) = delete;
  KinesisSink& operator=(const KinesisSink&) = delete;

  // Queues the record (or, for a tombstone, its report). Refuses a record over kMaxRecordBytes.
  Status Send(const ChangeEvent& event, void* opaque) override;
  void Poll(int timeout_ms) override;
  int wakeup_fd() const override { return -1; }
  Status Flush(int timeout_ms) override;
  // ListStreams: the endpoint answers and accepts the credentials' signature.
  Status CheckReachable(int timeout_ms) override;

  // Checks that every stream in `streams` exists. Missing ones are created when create_streams
  // is set and `may_create` (waiting until ACTIVE, up to `timeout_ms`); otherwise one
  // FailedPrecondition line names every missing stream. On success, a line saying what was found.
  Result<std::string> CheckStreams(const std::vector<std::string>& streams, bool may_create,
                                   int timeout_ms);

  // The partition key for `key` (see above).
  static std::string PartitionKey(const std::optional<std::string_view>& key);

 private:
  struct Record {
    void* opaque;
    size_t bytes;  // ChangeEvent::size_bytes(), for the report
    std::string partition_key;
    std::string data;
    bool null_key;
    bool done = false;  // reported (removed after the call)
  };
  struct Stream {
    std::deque<Record> queue;
    std::chrono::steady_clock::time_point next_attempt{};
    int backoff_ms = 0;
    bool creating = false;  // CreateStream sent; waiting for ACTIVE
    std::string trouble;    // the last cause logged, "" when healthy
  };

  // One PutRecords call (or, while creating, one status check) for `name`.
  void SendBatch(const std::string& name, Stream& s);
  void Backoff(const std::string& name, Stream& s, const std::string& cause);
  void Healthy(const std::string& name, Stream& s);
  // Reports every queued record of `s` as failed with `cause`.
  void FailAll(Stream& s, const std::string& cause);
  // DescribeStreamSummary: the stream's status ("ACTIVE", ...), or the reply's outcome.
  KinesisReply Describe(const std::string& name, std::string* status);
  KinesisReply Create(const std::string& name);
  void ReportSkipped();

  KinesisOptions options_;
  DeliveryListener* listener_;
  KinesisClient client_;
  std::map<std::string, Stream, std::less<>> streams_;
  std::vector<std::pair<void*, size_t>> skipped_;  // tombstones, reported at the next Poll()
  size_t queued_ = 0;                              // records in all queues
};

}  // namespace cdc::sinks
