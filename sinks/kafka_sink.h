#pragma once

// KafkaSink: publishes events with librdkafka. Defaults that make delivery safe and keys land
// where Java clients expect: enable.idempotence=true, acks=all, partitioner=murmur2_random,
// message.timeout.ms=0 (retry until the broker is back: an outage freezes the confirmed LSN
// instead of failing), max.in.flight.requests.per.connection=1 and linger.ms=5 (the measurements
// behind both are in kafka_sink.cc). Every user property is passed through and overrides the
// defaults.
//
// Ownership: owns its rd_kafka_t, topic and header handles (RAII: every librdkafka handle is a
// unique_ptr with its destroy function). Destruction does not wait for deliveries: callers drain
// first (Flush; the Publisher's Drain). It purges what is still queued (reported as failures, so
// those events are never confirmed and are replayed on the next start), destroys the handles,
// then frees the values librdkafka pointed into, in that order.
// Threading: librdkafka's own threads do the I/O; delivery reports are served on the caller's
// thread in Poll()/Flush(). The wakeup fd is a pipe librdkafka writes to when reports wait.

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "sinks/event_sink.h"

struct rd_kafka_s;
struct rd_kafka_topic_s;
struct rd_kafka_headers_s;

namespace cdc::sinks {

// unique_ptr deleters for librdkafka's handles (defined in kafka_sink.cc).
struct RdKafkaDeleter {
  void operator()(rd_kafka_s* rk) const;
  void operator()(rd_kafka_topic_s* rkt) const;
  void operator()(rd_kafka_headers_s* headers) const;
};
using RdKafkaPtr = std::unique_ptr<rd_kafka_s, RdKafkaDeleter>;
using RdKafkaTopicPtr = std::unique_ptr<rd_kafka_topic_s, RdKafkaDeleter>;
using RdKafkaHeadersPtr = std::unique_ptr<rd_kafka_headers_s, RdKafkaDeleter>;

class KafkaSink final : public EventSink {
 public:
  // Fails with a message naming the bad property. With a `dead_letter_topic`, events refused
  // for good (message too large, topic authorization, invalid record, unknown topic) are
  // re-sent there with headers naming the original topic and the error; a too-large value is
  // replaced by null. The event then counts as delivered once the dead-letter record is.
  static Result<std::unique_ptr<KafkaSink>> Create(const std::map<std::string, std::string>& props,
                                                   DeliveryListener* listener,
                                                   const std::string& dead_letter_topic = "");
  ~KafkaSink() override;
  KafkaSink(const KafkaSink&) = delete;
  KafkaSink& operator=(const KafkaSink&) = delete;

  Status Send(const ChangeEvent& event, void* opaque) override;
  void Poll(int timeout_ms) override;
  int wakeup_fd() const override { return wake_read_fd_; }
  Status Flush(int timeout_ms) override;
  Status CheckReachable(int timeout_ms) override;
  bool thread_safe() const override { return true; }  // librdkafka's produce and poll are

  // Called by librdkafka's delivery callback (on the polling thread).
  void HandleDeliveryReport(const void* rkmessage);

 private:
  KafkaSink(DeliveryListener* listener, int wake_read_fd, int wake_write_fd);
  rd_kafka_topic_s* TopicHandle(std::string_view topic);
  // Sends one record; takes over `headers` on success only. `copy`: librdkafka copies the value;
  // otherwise it points into a string in owned_ until the record is reported.
  int Produce(rd_kafka_topic_s* rkt, const void* key, size_t key_len, const void* value,
              size_t value_len, rd_kafka_headers_s* headers, void* opaque, bool copy = true);
  // The value string taken over by Send() whose data starts at `payload`, removed from owned_;
  // null for a value librdkafka copied.
  std::unique_ptr<std::string> TakeOwned(const void* payload);
  // Re-sends a refused event to the dead-letter topic. True when it was queued.
  bool DeadLetter(const char* topic, const void* key, size_t key_len, const void* value,
                  size_t value_len, const rd_kafka_headers_s* headers, int err, void* opaque,
                  size_t bytes);
  void DrainWakeup();

  // Large values taken over from the caller (ChangeEvent::value_owner) instead of copied, keyed
  // by their data pointer, which librdkafka hands back as the report's payload. Freed once
  // reported, or when the sink is destroyed: declared first, so destroyed after librdkafka,
  // which points into them.
  std::mutex owned_mu_;
  std::unordered_map<const void*, std::unique_ptr<std::string>> owned_;
  std::atomic<size_t> owned_count_{0};  // lets reports skip the lock when nothing is owned

  DeliveryListener* listener_;
  int wake_read_fd_;
  int wake_write_fd_;
  RdKafkaPtr rk_;
  std::shared_mutex topics_mu_;  // Send() may run on several threads (thread_safe())
  std::unordered_map<std::string, RdKafkaTopicPtr> topics_;  // destroyed before rk_
  std::string dead_letter_topic_;
  rd_kafka_topic_s* dead_letter_rkt_ = nullptr;  // in topics_
};

}  // namespace cdc::sinks
