#pragma once

// EventSink: the seam between the pipeline and the outside world it writes to.
//
// Contract (librdkafka's delivery-report model): every event accepted by Send() is reported
// exactly once to the DeliveryListener, with the opaque given to Send(), from inside Poll() or
// Flush() on the calling thread. Events are reported in the order they were sent per key. A
// failed report means the sink gave up on that event; the caller must not confirm past it.
//
// Methods are called from one thread at a time (the replication thread), except that Send() and
// Poll() may be called concurrently from several threads when thread_safe() is true.

#include <string>
#include <string_view>

#include "decoders/base/status.h"
#include "decoders/events/event.h"

namespace cdc::sinks {

class DeliveryListener {
 public:
  virtual ~DeliveryListener() = default;
  // `status` is OK when the event is durably delivered; otherwise it names the topic, key and
  // cause. `bytes` is the event's key + value size, as counted by ChangeEvent::size_bytes().
  virtual void OnDelivery(void* opaque, size_t bytes, const Status& status) = 0;
  // An event the destination refused for good went to the dead-letter topic instead; its
  // OnDelivery follows when that record is acknowledged. `cause` names topic, key and reason.
  virtual void OnDeadLettered(const Status& cause) { (void)cause; }
  // An event the destination refused for good (an error no retry fixes, the kind a dead-letter
  // topic would take) and that no dead-letter topic took: where it was going, its key and the
  // cause, for the operator's record. Called just before that event's failure is reported, by
  // its failed OnDelivery or by Send()'s error return, on the thread that reports it; the
  // views are valid during the call only.
  struct Refusal {
    std::string_view topic;
    const char* key = nullptr;  // nullptr: a null key
    size_t key_len = 0;
    std::string_view cause;       // e.g. "Broker: Message size too large"
    std::string_view error_name;  // e.g. "MSG_SIZE_TOO_LARGE"
  };
  virtual void OnRefused(void* opaque, const Refusal& refusal) {
    (void)opaque;
    (void)refusal;
  }
};

class EventSink {
 public:
  virtual ~EventSink() = default;

  // Queues a copy of `event`. Unavailable means the local queue is full: call Poll() and retry.
  // Any other error is permanent.
  virtual Status Send(const ChangeEvent& event, void* opaque) = 0;

  // Serves delivery reports, waiting up to `timeout_ms` (0: do not wait).
  virtual void Poll(int timeout_ms) = 0;

  // A descriptor that becomes readable when Poll() has reports to serve, or -1 when the caller
  // must call Poll() on its own cadence.
  virtual int wakeup_fd() const = 0;

  // Waits until every queued event is reported or `timeout_ms` passes. Unavailable on timeout.
  virtual Status Flush(int timeout_ms) = 0;

  // Checks that the destination is reachable (e.g. broker metadata), for start-up errors.
  virtual Status CheckReachable(int timeout_ms) = 0;

  // True when Send() and Poll() may be called from several threads at once (the snapshot's
  // workers); otherwise the caller serializes them.
  virtual bool thread_safe() const { return false; }
};

}  // namespace cdc::sinks
