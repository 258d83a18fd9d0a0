#include "sinks/rabbitmq_sink.h"

#include <amqp.h>
#include <amqp_framing.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <random>
#include <vector>

#include "sinks/printable_key.h"
#include "sinks/rabbitmq_amqp.h"

namespace cdc::sinks {

using amqp_util::Bytes;
using amqp_util::kChannel;
using amqp_util::kKeyHeader;
using amqp_util::ReplyError;
using amqp_util::Text;
using amqp_util::ToTimeval;

void AmqpConnectionDeleter::operator()(amqp_connection_state_t_* c) const {
  amqp_destroy_connection(c);
}

namespace {

std::string NewUuid() {
  static thread_local std::mt19937_64 gen{std::random_device{}()};
  const uint64_t hi = gen(), lo = gen();
  unsigned char b[16];
  for (int i = 0; i < 8; ++i) {
    b[i] = static_cast<unsigned char>(hi >> (8 * i));
    b[8 + i] = static_cast<unsigned char>(lo >> (8 * i));
  }
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  char out[37];
  std::snprintf(out, sizeof(out),
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                b[15]);
  return out;
}

// An AMQP header table over views: the strings it points to must outlive the publish.
class HeaderTable {
 public:
  void Text(std::string_view key, std::string_view value) {
    Add(key, AMQP_FIELD_KIND_UTF8).value.bytes = Bytes(value);
  }
  void ByteArray(std::string_view key, std::string_view value) {
    Add(key, AMQP_FIELD_KIND_BYTES).value.bytes = Bytes(value);
  }
  void Null(std::string_view key) { Add(key, AMQP_FIELD_KIND_VOID); }
  void Int(std::string_view key, int32_t value) { Add(key, AMQP_FIELD_KIND_I32).value.i32 = value; }
  void Bool(std::string_view key, bool value) {
    Add(key, AMQP_FIELD_KIND_BOOLEAN).value.boolean = value ? 1 : 0;
  }
  void NullPair(std::string_view key) {  // [null, null]
    amqp_field_value_t& v = Add(key, AMQP_FIELD_KIND_ARRAY);
    v.value.array.num_entries = 2;
    v.value.array.entries = nulls_;
  }
  amqp_table_t table() { return amqp_table_t{static_cast<int>(entries_.size()), entries_.data()}; }

 private:
  amqp_field_value_t& Add(std::string_view key, uint8_t kind) {
    amqp_table_entry_t& e = entries_.emplace_back();
    e.key = Bytes(key);
    e.value.kind = kind;
    return e.value;
  }
  std::vector<amqp_table_entry_t> entries_;
  amqp_field_value_t nulls_[2] = {{AMQP_FIELD_KIND_VOID, {}}, {AMQP_FIELD_KIND_VOID, {}}};
};

// The strings of one Celery task message (message protocol v2,
// docs.celeryq.dev/en/stable/internals/protocol.html), kept alive for the publish.
// `origin` must outlive the publish too.
struct CeleryMessage {
  std::string id = NewUuid();
  std::string argsrepr, kwargsrepr, body;

  CeleryMessage(const ChangeEvent& ev, std::string_view task, std::string_view origin,
                HeaderTable* h, amqp_basic_properties_t* props)
      : argsrepr("(" + PrintableKey(*ev.value) + ",)"),
        kwargsrepr("{'key': " + (ev.key ? PrintableKey(*ev.key) : std::string("None")) +
                   ", 'topic': '" + std::string(ev.topic) + "'}"),
        body(RabbitmqSink::CeleryBody(*ev.value, ev.key, ev.topic)) {
    h->Text("lang", "py");
    h->Text("task", task);
    h->Text("id", id);
    h->Null("shadow");
    h->Null("eta");
    h->Null("expires");
    h->Null("group");
    h->Null("group_index");
    h->Int("retries", 0);
    h->NullPair("timelimit");
    h->Text("root_id", id);  // a change starts its own workflow
    h->Null("parent_id");
    h->Text("argsrepr", argsrepr);
    h->Text("kwargsrepr", kwargsrepr);
    h->Text("origin", origin);
    h->Bool("ignore_result", false);
    props->_flags |= AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_CONTENT_ENCODING_FLAG |
                     AMQP_BASIC_CORRELATION_ID_FLAG;
    props->content_type = Bytes("application/json");
    props->content_encoding = Bytes("utf-8");
    props->correlation_id = Bytes(id);
  }
};

}  // namespace

std::string RabbitmqSink::CeleryBody(std::string_view value, std::optional<std::string_view> key,
                                     std::string_view topic) {
  // Celery message protocol v2: (args, kwargs, embed). The value and the key are already JSON
  // documents; a topic name holds only [A-Za-z0-9._-] (connector/topic_names.h), which JSON
  // needs no escape for.
  std::string body;
  body.reserve(value.size() + (key ? key->size() : 4) + topic.size() + 128);
  body += "[[";
  body += value;
  body += "], {\"key\": ";
  body += key ? *key : std::string_view("null");
  body += ", \"topic\": \"";
  body += topic;
  body += "\"}, {\"callbacks\": null, \"errbacks\": null, \"chain\": null, \"chord\": null}]";
  return body;
}

RabbitmqSink::RabbitmqSink(RabbitmqOptions options, DeliveryListener* listener)
    : options_(std::move(options)), listener_(listener) {
  char host[256] = "localhost";
  // One byte short: a truncated name comes without its NUL, and the last byte stays 0.
  (void)gethostname(host, sizeof(host) - 1);
  origin_ = std::string("pgcdc@") + host;
}

RabbitmqSink::~RabbitmqSink() {
  if (conn_ != nullptr && ready_) {
    (void)amqp_connection_close(conn_.get(), AMQP_REPLY_SUCCESS);
  }
  conn_.reset();
  ReportSettled();
  // Callers drained first; whatever is left was not confirmed and must not be confirmed.
  while (!pending_.empty()) {
    Pending p = std::move(pending_.front());
    pending_.pop_front();
    listener_->OnDelivery(
        p.opaque, p.bytes,
        Status::DeliveryFailed("rabbitmq: sink closed before the broker confirmed " + Describe(p)));
  }
}

std::string RabbitmqSink::Where() const {
  return options_.host + ":" + std::to_string(options_.port);
}

std::string RabbitmqSink::Describe(const Pending& p) const {
  if (p.tag == 0) return "a tombstone";
  return "the event for routing key '" + p.routing_key + "' key " + PrintableKey(p.key);
}

Status RabbitmqSink::Send(const ChangeEvent& ev, void* opaque) {
  if (!ev.value) {
    // A tombstone: Kafka's compaction device. Reported delivered in its turn.
    Pending p;
    p.opaque = opaque;
    p.bytes = ev.size_bytes();
    pending_.push_back(std::move(p));
    return Status::Ok();
  }
  if (!ready_) {
    return Status::DeliveryFailed(lost_cause_.empty() ? "rabbitmq: not connected" : lost_cause_);
  }
  const bool celery = !options_.celery_task.empty();
  const std::string_view key = ev.key ? *ev.key : std::string_view("null");
  amqp_basic_properties_t props{};
  props._flags = AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_HEADERS_FLAG;
  props.delivery_mode = AMQP_DELIVERY_PERSISTENT;
  HeaderTable headers;
  auto put = [&](std::string_view name, std::string_view value) {
    options_.binary_headers ? headers.ByteArray(name, value) : headers.Text(name, value);
  };
  if (ev.key) put(kKeyHeader, *ev.key);
  std::optional<CeleryMessage> task;
  amqp_bytes_t body = Bytes(*ev.value);
  if (celery) {
    task.emplace(ev, options_.celery_task, origin_, &headers, &props);
    headers.Text("pgcdc.topic", ev.topic);
    body = Bytes(task->body);
  } else {
    for (const auto& h : ev.headers) put(h.name, h.value);
  }
  props.headers = headers.table();
  const std::string exchange = celery ? "" : options_.exchange;
  const std::string routing_key = celery ? options_.celery_queue : std::string(ev.topic);
  // mandatory: an unroutable message comes back as basic.return instead of vanishing.
  const int rc = amqp_basic_publish(conn_.get(), kChannel, Bytes(exchange), Bytes(routing_key), 1,
                                    0, &props, body);
  Pending p;
  p.tag = next_tag_++;
  p.opaque = opaque;
  p.bytes = ev.size_bytes();
  p.routing_key = routing_key;
  p.key = PrintableKey(key);
  p.sent = std::chrono::steady_clock::now();
  pending_.push_back(std::move(p));
  if (rc != AMQP_STATUS_OK) {
    // Accepted all the same: it fails with the others in its own report, in order.
    FailAll("rabbitmq: publish to " + Where() + " failed: " + amqp_error_string2(rc));
  }
  return Status::Ok();
}

void RabbitmqSink::ReportSettled() {
  // In send order, whatever order the confirms came in (they may, across queues): the head is
  // reported once settled, so a failure is never overtaken by a later success of its key.
  while (!pending_.empty() && (pending_.front().tag == 0 || pending_.front().settled)) {
    Pending p = std::move(pending_.front());
    pending_.pop_front();
    listener_->OnDelivery(p.opaque, p.bytes, p.status);
  }
}

void RabbitmqSink::HandleAck(uint64_t tag, bool multiple, bool ok) {
  // A multiple confirm covers every tag up to its own. Tags rise along pending_ (tombstones
  // have none), so the scan stops at the first later one.
  for (auto& p : pending_) {
    if (p.tag > tag) break;
    if (p.tag == 0 || p.settled || (!multiple && p.tag != tag)) continue;
    p.settled = true;
    if (!ok) {
      p.status = Status::DeliveryFailed("rabbitmq: broker refused (basic.nack) " + Describe(p));
    } else if (p.returned) {
      p.status = Status::DeliveryFailed(
          "rabbitmq: " + Describe(p) + " was returned unroutable: no queue is bound for it" +
          (options_.celery_task.empty() ? " (bind one to exchange '" + options_.exchange + "')"
                                        : ""));
    }
  }
}

void RabbitmqSink::FailAll(const std::string& cause) {
  if (lost_cause_.empty()) {
    spdlog::error("{}; {} events unconfirmed fail (the confirmed LSN stays before them)", cause,
                  pending_.size());
  }
  lost_cause_ = cause;
  ready_ = false;
  conn_.reset();
  // Reported by the next Poll()/Flush() (ReportSettled), never from inside Send().
  for (auto& p : pending_) {
    if (p.tag == 0 || p.settled) continue;
    p.settled = true;
    p.status = Status::DeliveryFailed(cause + " before the broker confirmed " + Describe(p));
  }
}

void RabbitmqSink::Pump(int timeout_ms) {
  if (conn_ == nullptr) return;
  // Nothing to read while every awaited event is settled: wait for nothing.
  if (std::all_of(pending_.begin(), pending_.end(),
                  [](const Pending& p) { return p.tag == 0 || p.settled; }))
    timeout_ms = 0;
  bool first = true;
  for (;;) {
    amqp_frame_t frame;
    timeval tv = ToTimeval(first ? std::max(timeout_ms, 0) : 0);
    first = false;
    const int rc = amqp_simple_wait_frame_noblock(conn_.get(), &frame, &tv);
    if (rc == AMQP_STATUS_TIMEOUT) break;
    if (rc != AMQP_STATUS_OK) {
      FailAll("rabbitmq: connection to " + Where() + " lost: " + amqp_error_string2(rc));
      return;
    }
    if (frame.frame_type != AMQP_FRAME_METHOD) continue;  // heartbeats are handled inside
    const amqp_method_t& m = frame.payload.method;
    if (m.id == AMQP_BASIC_ACK_METHOD) {
      const auto* a = static_cast<const amqp_basic_ack_t*>(m.decoded);
      HandleAck(a->delivery_tag, a->multiple != 0, true);
    } else if (m.id == AMQP_BASIC_NACK_METHOD) {
      const auto* n = static_cast<const amqp_basic_nack_t*>(m.decoded);
      HandleAck(n->delivery_tag, n->multiple != 0, false);
    } else if (m.id == AMQP_BASIC_RETURN_METHOD) {
      // Sent before the message's basic.ack, and without its delivery tag: marked on the
      // earliest unconfirmed event with that routing key. Should that be an earlier one than
      // the returned message, pgcdc stops earlier: never later than the loss.
      const auto* ret = static_cast<const amqp_basic_return_t*>(m.decoded);
      const std::string rk = Text(ret->routing_key);
      auto it = std::find_if(pending_.begin(), pending_.end(), [&](const Pending& p) {
        return p.tag != 0 && !p.returned && p.routing_key == rk;
      });
      if (it == pending_.end()) {
        it = std::find_if(pending_.begin(), pending_.end(),
                          [](const Pending& p) { return p.tag != 0 && !p.returned; });
      }
      if (it != pending_.end()) it->returned = true;
      amqp_message_t msg;
      const amqp_rpc_reply_t r = amqp_read_message(conn_.get(), frame.channel, &msg, 0);
      if (r.reply_type != AMQP_RESPONSE_NORMAL) {
        FailAll("rabbitmq: reading a returned message from " + Where() +
                " failed: " + ReplyError(r));
        return;
      }
      amqp_destroy_message(&msg);
    } else if (m.id == AMQP_CHANNEL_CLOSE_METHOD || m.id == AMQP_CONNECTION_CLOSE_METHOD) {
      amqp_rpc_reply_t r{};
      r.reply_type = AMQP_RESPONSE_SERVER_EXCEPTION;
      r.reply = m;
      FailAll("rabbitmq: " + ReplyError(r) + " at " + Where());
      return;
    }
  }
  ReportSettled();
  amqp_maybe_release_buffers(conn_.get());
  // A confirm that does not come is a failure, as a PubAck timeout is for NATS.
  for (const auto& p : pending_) {
    if (p.tag == 0 || p.settled) continue;
    if (std::chrono::steady_clock::now() - p.sent >
        std::chrono::milliseconds(options_.ack_timeout_ms)) {
      FailAll("rabbitmq: no confirm from " + Where() + " within " +
              std::to_string(options_.ack_timeout_ms) + " ms");
    }
    break;  // the oldest one decides
  }
}

void RabbitmqSink::Poll(int timeout_ms) {
  // Also when nothing is awaited: reading lets rabbitmq-c send heartbeats and notice a close.
  Pump(pending_.empty() ? 0 : timeout_ms);
  ReportSettled();
}

int RabbitmqSink::wakeup_fd() const {
  // -1 (poll on a cadence) whenever the socket may not say there is work: reports ready at
  // the head, or frames rabbitmq-c already read into its buffers.
  if (conn_ == nullptr || pending_.empty() || pending_.front().tag == 0 ||
      pending_.front().settled || amqp_frames_enqueued(conn_.get()) ||
      amqp_data_in_buffer(conn_.get()))
    return -1;
  return amqp_get_sockfd(conn_.get());
}

Status RabbitmqSink::Flush(int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    ReportSettled();
    if (pending_.empty()) return Status::Ok();
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0) {
      return Status::Unavailable("rabbitmq: " + std::to_string(pending_.size()) +
                                 " events still unconfirmed after " + std::to_string(timeout_ms) +
                                 " ms");
    }
    Pump(static_cast<int>(std::min<long long>(left, 100)));
  }
}

}  // namespace cdc::sinks
