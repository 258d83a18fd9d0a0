#pragma once

// NatsSink: publishes events to a NATS JetStream stream with cnats (Debian's libnats), laid out
// as Debezium Server's nats-jetstream sink: subject = topic, payload = value, the event's headers
// as NATS headers. pgcdc adds the key in the "pgcdc.key" header (Debezium Server drops it) and a
// Nats-Msg-Id for streamed changes, so that JetStream's duplicate window drops what a restart
// re-publishes. Tombstones (a null value) are not sent: they are Kafka's compaction device; they
// are reported delivered at the next Poll().
//
// Delivery: asynchronous publish; an event is reported OK only on its PubAck (a PubAck for a
// duplicate counts: the stream has the record). An error PubAck, no PubAck within
// ack_timeout_ms, or the connection closing with the PubAck outstanding is a failed report, so
// the LSN stays before it. Like Debezium Server the connection does not reconnect: a lost server
// fails what is in flight at once and pgcdc stops, to be restarted from the confirmed LSN. A
// reconnecting client could store later records before earlier ones it lost with the old
// socket, and their re-publication would then land out of order.
//
// Ownership: owns its natsOptions, natsConnection and jsCtx (RAII). Destruction closes the
// connection and reports everything still unacknowledged as failed, to the listener, which must
// outlive the sink. Callers drain first (Flush; the Publisher's Drain).
// Threads: cnats calls the PubAck handler on its own thread; the handler only queues the report
// and writes to the wake-up pipe. A closed connection is noticed in Poll()/Flush() (the
// streaming loop calls Poll() every turn), not through cnats's closed callback, which may run
// after the sink is gone. Reports reach the listener in Poll()/Flush() on the caller's
// thread. Send/Poll/Flush/CheckReachable are called from one thread at a time (thread_safe() is
// false: the Publisher serializes them).

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "sinks/event_sink.h"

struct __natsOptions;
struct __natsConnection;
struct __jsCtx;
struct __natsMsg;
struct jsPubAck;
struct jsPubAckErr;

namespace cdc::sinks {

struct NatsOptions {
  std::vector<std::string> urls;            // tried in order; user:password@ allowed
  std::string stream;                       // JetStream stream, created if missing
  std::vector<std::string> subjects;        // what a created stream captures; must be covered
  std::string creds_file;                   // .creds file (JWT + NKey seed); "" = none
  std::string token;                        // "" = none
  std::string tls_ca_file;                  // "" = system CAs when TLS is used
  std::string tls_cert_file, tls_key_file;  // client certificate; "" = none
  int ack_timeout_ms = 30000;
  // NATS headers are text: with a binary format (Avro), the key and the records' headers
  // (pgcdc.key, __debezium.oldkey/newkey) carry the base64 of their bytes.
  bool binary_headers = false;
};

// unique_ptr deleters for cnats' handles (defined in nats_sink.cc).
struct NatsDeleter {
  void operator()(__natsOptions* o) const;
  void operator()(__natsConnection* nc) const;
  void operator()(__jsCtx* js) const;
};
using NatsOptionsPtr = std::unique_ptr<__natsOptions, NatsDeleter>;
using NatsConnectionPtr = std::unique_ptr<__natsConnection, NatsDeleter>;
using JsCtxPtr = std::unique_ptr<__jsCtx, NatsDeleter>;

class NatsSink final : public EventSink {
 public:
  // Checks the options (files are read here); does not connect: CheckReachable() does, and
  // must succeed before Send(). Fails with a line naming the bad setting.
  static Result<std::unique_ptr<NatsSink>> Create(NatsOptions options, DeliveryListener* listener);
  ~NatsSink() override;
  NatsSink(const NatsSink&) = delete;
  NatsSink& operator=(const NatsSink&) = delete;

  Status Send(const ChangeEvent& event, void* opaque) override;
  void Poll(int timeout_ms) override;
  int wakeup_fd() const override { return wake_read_fd_; }
  Status Flush(int timeout_ms) override;
  // Connects (first call), then checks that JetStream answers and the stream exists and captures
  // `subjects`, creating it when missing. The error names the cause in one line.
  Status CheckReachable(int timeout_ms) override;
  // For `validate`, which changes nothing: as CheckReachable() but a missing stream is not
  // created. Says what it found, e.g. "JetStream reachable; stream 'PGCDC' missing: run creates
  // it for shop.>, ...".
  Result<std::string> Probe(int timeout_ms);

  // The Nats-Msg-Id of a streamed event: "<topic>:<lsn>:<n>", n counting the events sent before
  // it with the same LSN (a key change gives a delete and a create at one LSN; a multi-row
  // insert or a multi-table truncate gives several). Empty for snapshot rows ('r'), which share
  // the snapshot's LSN and are not re-read in the same order. Visible for testing.
  static std::string MessageId(std::string_view topic, char op, uint64_t lsn, uint32_t n);

  // Called by cnats's PubAck handler (its thread).
  void HandleAck(__natsMsg* msg, const jsPubAck* ack, const jsPubAckErr* err);

 private:
  struct InFlight {
    void* opaque;
    size_t bytes;
  };
  struct Report {
    void* opaque;
    size_t bytes;
    Status status;
  };

  NatsSink(NatsOptions options, DeliveryListener* listener, int wake_read_fd, int wake_write_fd);
  Status Connect(int timeout_ms);
  // True: the stream exists and captures `subjects`. False: missing and not `create`d.
  Result<bool> EnsureStream(int timeout_ms, bool create);
  // Takes back what cnats still holds unacknowledged on a closed connection as failures.
  void FailPending(const std::string& cause);
  void Queue(__natsMsg* msg, Status status);  // takes mu_
  void Wake();
  void Serve();  // hands queued reports to the listener (caller's thread)

  NatsOptions options_;
  DeliveryListener* listener_;
  int wake_read_fd_;
  int wake_write_fd_;
  // Events sent under one LSN so far, for MessageId (Send's thread only).
  uint64_t id_lsn_ = 0;
  uint32_t id_count_ = 0;
  bool published_ = false;  // an asynchronous publish succeeded (Send's thread)

  // Shared with cnats's thread. A std::mutex, not the annotated Mutex: settled_ waits on it.
  std::mutex mu_;
  std::condition_variable settled_;                           // in_flight_ shrank
  std::unordered_map<const __natsMsg*, InFlight> in_flight_;  // guarded by mu_
  std::vector<Report> ready_;                                 // guarded by mu_

  NatsOptionsPtr opts_;
  NatsConnectionPtr nc_;  // destroyed before opts_
  JsCtxPtr js_;           // destroyed before nc_
};

}  // namespace cdc::sinks
