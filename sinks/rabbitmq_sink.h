#pragma once

// RabbitmqSink: publishes events to RabbitMQ with rabbitmq-c (Debian's librabbitmq), laid out as
// Debezium Server's rabbitmq sink: exchange = sink.rabbitmq.exchange (a durable topic exchange,
// declared if missing), routing key = topic, body = value, the event's headers as AMQP headers.
// pgcdc adds the key in the "pgcdc.key" header (Debezium Server drops it), as the NATS sink does.
// Tombstones (a null value) are not sent (Debezium Server would send the string "default"); they
// are reported delivered in their turn.
//
// Celery mode (celery_task set): each event becomes a Celery message protocol v2 task message,
// published through the default exchange to the queue `celery_queue` (declared durable, as a
// Celery worker declares it), whose one positional argument is the value as a JSON object.
//
// Delivery: publisher confirms (confirm.select). Messages are persistent (delivery_mode 2) and
// mandatory. An event is reported OK only once the broker's basic.ack covers its delivery tag
// (multiple=true acks cover every tag up to theirs). A basic.nack, a basic.return (no queue
// bound: the message went nowhere), no confirm within ack_timeout_ms, or the channel or the
// connection closing with the confirm outstanding fails the report, so the LSN stays before it.
// As the NATS sink, the connection is not re-opened: pgcdc stops and is restarted from the
// confirmed LSN (delivery tags belong to one channel; a new channel could not tell which of the
// old channel's messages the broker kept).
//
// TLS (amqps://): rabbitmq-c's OpenSSL socket, verifying the broker's certificate against
// tls_ca_file (or the system's CAs) and its name against the host by default; an optional client
// certificate for brokers that ask for one (ssl_options.verify = verify_peer).
//
// Ownership: owns its amqp_connection_state_t (RAII) and the list of unconfirmed events.
// Destruction closes the connection and reports what is unconfirmed as failed to the listener,
// which must outlive the sink. Callers drain first (Flush).
// Threads: rabbitmq-c is not thread-safe; everything, reports included, happens on the caller's
// thread inside Send(), Poll(), Flush(); thread_safe() is false. A blocked broker (memory alarm)
// may block Send() in the socket write.

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "sinks/event_sink.h"

struct amqp_connection_state_t_;

namespace cdc::sinks {

struct RabbitmqOptions {
  std::string host = "127.0.0.1";
  int port = 5672;
  std::string user = "guest", password = "guest";
  std::string vhost = "/";
  std::string exchange = "pgcdc";
  std::string celery_task;  // "" = plain layout
  std::string celery_queue = "celery";
  int ack_timeout_ms = 30000;
  // amqps://: TLS with OpenSSL through rabbitmq-c's SSL socket. The broker's certificate is
  // checked against tls_ca_file ("" = the system bundle, kSystemCaBundle) and its name against
  // `host`, unless tls_verify is false.
  bool tls = false;
  std::string tls_ca_file, tls_cert_file, tls_key_file;  // client cert and key: both or neither
  bool tls_verify = true;
  // The key and the records' headers as AMQP byte arrays ('x') instead of text ('S'): Avro's
  // framed keys are binary.
  bool binary_headers = false;
};

struct AmqpConnectionDeleter {
  void operator()(amqp_connection_state_t_* c) const;
};
using AmqpConnectionPtr = std::unique_ptr<amqp_connection_state_t_, AmqpConnectionDeleter>;

class RabbitmqSink final : public EventSink {
 public:
  // Debian's bundle of the system's trusted CAs (package ca-certificates).
  static constexpr const char* kSystemCaBundle = "/etc/ssl/certs/ca-certificates.crt";

  // Does not connect: CheckReachable() does, and must succeed before Send().
  RabbitmqSink(RabbitmqOptions options, DeliveryListener* listener);
  ~RabbitmqSink() override;
  RabbitmqSink(const RabbitmqSink&) = delete;
  RabbitmqSink& operator=(const RabbitmqSink&) = delete;

  Status Send(const ChangeEvent& event, void* opaque) override;
  void Poll(int timeout_ms) override;
  // The socket while confirms are awaited and rabbitmq-c buffers nothing; else -1. Also with
  // TLS: OpenSSL reads one record at a time (no read-ahead) and rabbitmq-c asks for more than a
  // record holds, so no decrypted bytes wait where poll() cannot see them.
  int wakeup_fd() const override;
  Status Flush(int timeout_ms) override;
  // Connects, logs in, opens the channel in confirm mode and declares the exchange (or, in
  // Celery mode, the queue). The error names the cause in one line.
  Status CheckReachable(int timeout_ms) override;
  // For `validate`, which changes nothing: as CheckReachable() but only checks (passive
  // declare). Says what it found, e.g. "exchange 'pgcdc' missing: run declares it".
  Result<std::string> Probe(int timeout_ms);

  // The Celery protocol v2 body for an event (its value and key are JSON documents):
  // [[value], {"key": key, "topic": topic}, {embed}], so a task runs on_change(event, key=...,
  // topic=...).
  static std::string CeleryBody(std::string_view value, std::optional<std::string_view> key,
                                std::string_view topic);

 private:
  struct Pending {
    uint64_t tag = 0;  // delivery tag; 0 for a tombstone (nothing published)
    void* opaque = nullptr;
    size_t bytes = 0;
    std::string routing_key;
    std::string key;        // for error lines
    bool returned = false;  // a basic.return came for it: its ack fails it
    bool settled = false;   // its confirm came; `status` is its report
    Status status;
    std::chrono::steady_clock::time_point sent;
  };

  Status Connect(int timeout_ms);
  // Declares (passive: only checks) the exchange or the Celery queue on `channel`. False: it is
  // missing (passive only; the broker closed that channel).
  Result<bool> Declare(uint16_t channel, bool passive);
  // Reads and handles the frames that came, waiting up to `timeout_ms` for the first.
  void Pump(int timeout_ms);
  void HandleAck(uint64_t tag, bool multiple, bool ok);
  // Fails every unconfirmed event with `cause` and drops the connection.
  void FailAll(const std::string& cause);
  // Reports the settled events and tombstones at the head, in send order.
  void ReportSettled();
  std::string Describe(const Pending& p) const;
  std::string Where() const;

  RabbitmqOptions options_;
  DeliveryListener* listener_;
  std::string origin_;  // "pgcdc@<hostname>", the Celery messages' origin header
  AmqpConnectionPtr conn_;
  bool ready_ = false;      // channel open in confirm mode
  std::string lost_cause_;  // set once the connection is gone for good
  uint64_t next_tag_ = 1;
  std::deque<Pending> pending_;  // sent, unreported, in order
};

}  // namespace cdc::sinks
