#include "sinks/kafka_sink.h"

#include <fcntl.h>
#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <vector>

#include "sinks/printable_key.h"

namespace cdc::sinks {

namespace {

// Defaults applied before the user's properties, so any of them can be overridden.
const std::pair<const char*, const char*> kDefaults[] = {
    {"enable.idempotence", "true"},
    {"acks", "all"},
    {"partitioner", "murmur2_random"},
    {"message.timeout.ms", "0"},
    // One request in flight per broker connection. Measured on a real Kafka 4.4 broker
    // (bench/bench.py stream --broker kafka --kafka max.in.flight.requests.per.connection=5):
    // 5 was no faster, slightly slower in each of six paired runs, and up to doubled
    // librdkafka's broker thread CPU. A broker handles one request per connection at a time,
    // so more in flight only splits the same bytes into smaller requests.
    // 5 would be safe for order and loss against a real broker: the idempotent producer keeps
    // order with up to 5, and a success for a later sequence implicitly acks the earlier ones,
    // which Kafka only gives once they are in the log. The mock cluster does not check a
    // non-transactional producer's sequences, so there an injected NOT_LEADER error followed by
    // a later success is acked falsely: with 5 in flight, the produce-error case of
    // tests/integration/test_broker_outage.py confirms rows the mock never stored, each time
    // right after librdkafka logs "IMPLICITACK ... implicitly acked by subsequent batch
    // success". 1 keeps that test meaningful. And 2.0.2 still has #4438 (fixed in 2.3.0): with
    // several in flight, a timeout or disconnect can end in a fatal "sequence
    // desynchronization" error, which stops pgcdc (nothing confirmed, nothing lost, but a
    // restart).
    {"max.in.flight.requests.per.connection", "1"},
    // With one request in flight, the rate to a broker is what one request carries per round
    // trip, and the broker's cost is per request (its network and handler threads, the lz4
    // batch it decompresses to validate). A longer linger makes fewer, fuller requests: for the
    // same 300k-change stream (bench/bench.py stream --broker kafka) real Kafka spent a tenth to
    // a half less CPU at 20 ms than at 5 ms (medians 1.6 s -> 1.1-1.4 s); 50 ms saved little
    // more. On the shared 2-core bench machine that did not move pgcdc's rate beyond the noise
    // (README, Benchmarks), but it is CPU the broker's users get back.
    // The cost is up to 15 ms more latency on a quiet stream, where batches wait for the
    // linger, and that cost showed: commit-to-ack p50 at 5,000 tx/s (bench/bench.py latency,
    // mock broker) went from 5-8 ms at 5 ms to 17-27 ms at 20 ms, with no rate gained. So the
    // default stays 5; a user who prefers the broker's CPU sets sink.kafka.linger.ms: 20.
    // batch.size stays librdkafka's 1 MB (= message.max.bytes): a larger batch of
    // incompressible values could pass the broker's own 1 MB limit, and 2.0.2 cannot split a
    // refused batch.
    {"linger.ms", "5"},
    {"compression.type", "lz4"},
    // pgcdc bounds what is in flight itself (limits.*); librdkafka's queue must not be the
    // tighter bound.
    {"queue.buffering.max.messages", "10000000"},
    {"queue.buffering.max.kbytes", "2097151"},
    {"client.id", "pgcdc"},
};

}  // namespace

void RdKafkaDeleter::operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
void RdKafkaDeleter::operator()(rd_kafka_topic_t* rkt) const { rd_kafka_topic_destroy(rkt); }
void RdKafkaDeleter::operator()(rd_kafka_headers_t* h) const { rd_kafka_headers_destroy(h); }

namespace {

struct ConfDeleter {
  void operator()(rd_kafka_conf_t* c) const { rd_kafka_conf_destroy(c); }
};

void DeliveryCallback(rd_kafka_t*, const rd_kafka_message_t* msg, void* sink) {
  static_cast<KafkaSink*>(sink)->HandleDeliveryReport(msg);
}

void ErrorCallback(rd_kafka_t*, int err, const char* reason, void*) {
  auto code = static_cast<rd_kafka_resp_err_t>(err);
  if (code == RD_KAFKA_RESP_ERR__FATAL) {
    spdlog::error("kafka: fatal error: {}", reason);
  } else if (code != RD_KAFKA_RESP_ERR__TRANSPORT) {
    // Transport failures are already reported by the log callback; librdkafka retries them.
    spdlog::warn("kafka: {} ({})", reason, rd_kafka_err2name(code));
  }
}

void LogCallback(const rd_kafka_t*, int level, const char* fac, const char* buf) {
  // syslog levels. librdkafka reports retried connection failures at 3 (error); for pgcdc they
  // are warnings: delivery is retried and the confirmed LSN waits.
  if (level <= 2) {
    spdlog::error("kafka: {}: {}", fac, buf);
  } else if (level == 3 || level == 4) {
    spdlog::warn("kafka: {}: {}", fac, buf);
  } else if (level == 5) {
    spdlog::info("kafka: {}: {}", fac, buf);
  } else {
    spdlog::debug("kafka: {}: {}", fac, buf);
  }
}

// Errors that retrying cannot fix: the record goes to the dead-letter topic when there is one.
bool DeadLetterable(rd_kafka_resp_err_t err) {
  switch (err) {
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_RECORD:
    case RD_KAFKA_RESP_ERR_INVALID_MSG:
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_POLICY_VIOLATION:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART: return true;
    default: return false;
  }
}

bool SizeError(rd_kafka_resp_err_t err) {
  return err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE || err == RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE ||
         err == RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE;
}

// The opaque of a dead-letter record: the original event's opaque and size, reported when the
// dead-letter record is delivered.
struct DeadLetterTicket {
  void* opaque;
  size_t bytes;
};

}  // namespace

Result<std::unique_ptr<KafkaSink>> KafkaSink::Create(
    const std::map<std::string, std::string>& props, DeliveryListener* listener,
    const std::string& dead_letter_topic) {
  std::unique_ptr<rd_kafka_conf_t, ConfDeleter> conf(rd_kafka_conf_new());
  char err[512];
  for (const auto& [k, v] : kDefaults) {
    if (rd_kafka_conf_set(conf.get(), k, v, err, sizeof(err)) != RD_KAFKA_CONF_OK) {
      return Status::InvalidArgument(std::string("kafka default ") + k + ": " + err);
    }
  }
  for (const auto& [k, v] : props) {
    if (rd_kafka_conf_set(conf.get(), k.c_str(), v.c_str(), err, sizeof(err)) != RD_KAFKA_CONF_OK) {
      // The value is not echoed: it may be a secret (sasl.password, ssl.key.password).
      return Status::InvalidArgument("sink.kafka." + k + ": " + err);
    }
  }

  int fds[2];
  if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) return Status::IoError("pipe2 failed");

  // The sink pointer is set as the opaque once the object exists; the callbacks only run inside
  // poll calls made through the object, so no report can arrive before that.
  rd_kafka_conf_set_dr_msg_cb(conf.get(), DeliveryCallback);
  rd_kafka_conf_set_error_cb(conf.get(), ErrorCallback);
  rd_kafka_conf_set_log_cb(conf.get(), LogCallback);
  auto* self = new KafkaSink(listener, fds[0], fds[1]);
  std::unique_ptr<KafkaSink> owner(self);
  rd_kafka_conf_set_opaque(conf.get(), self);

  self->rk_.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), err, sizeof(err)));
  if (self->rk_ == nullptr) return Status::InvalidArgument(std::string("kafka: ") + err);
  (void)conf.release();  // owned by rk now
  rd_kafka_queue_t* main_queue = rd_kafka_queue_get_main(self->rk_.get());
  rd_kafka_queue_io_event_enable(main_queue, fds[1], "1", 1);
  rd_kafka_queue_destroy(main_queue);
  if (!dead_letter_topic.empty()) {
    self->dead_letter_topic_ = dead_letter_topic;
    self->dead_letter_rkt_ = self->TopicHandle(dead_letter_topic);
    if (self->dead_letter_rkt_ == nullptr) {
      return Status::InvalidArgument("sink.dead_letter_topic: cannot use '" + dead_letter_topic +
                                     "'");
    }
  }
  return owner;
}

KafkaSink::KafkaSink(DeliveryListener* listener, int wake_read_fd, int wake_write_fd)
    : listener_(listener), wake_read_fd_(wake_read_fd), wake_write_fd_(wake_write_fd) {}

KafkaSink::~KafkaSink() {
  if (rk_ != nullptr) {
    // Termination per librdkafka INTRODUCTION.md: flush (not waiting: callers drained), purge
    // what is left, destroy. Reports for purged messages go to the listener as failures, so
    // nothing is confirmed past them.
    if (rd_kafka_flush(rk_.get(), 0) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_purge(rk_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
      rd_kafka_poll(rk_.get(), 0);
    }
    topics_.clear();  // topic handles before the handle they belong to
    rk_.reset();
  }
  // After librdkafka is gone: it writes to the wake-up pipe until then.
  close(wake_read_fd_);
  close(wake_write_fd_);
}

rd_kafka_topic_s* KafkaSink::TopicHandle(std::string_view topic) {
  // Heterogeneous lookup is C++20 for unordered_map only with a transparent hash; topics are
  // few, so one allocation on the miss path is fine and the hit path compares views.
  thread_local std::string key;
  key.assign(topic);
  {
    std::shared_lock<std::shared_mutex> lock(topics_mu_);
    auto it = topics_.find(key);
    if (it != topics_.end()) return it->second.get();
  }
  std::unique_lock<std::shared_mutex> lock(topics_mu_);
  auto it = topics_.find(key);
  if (it != topics_.end()) return it->second.get();
  RdKafkaTopicPtr rkt(rd_kafka_topic_new(rk_.get(), key.c_str(), nullptr));
  if (rkt == nullptr) return nullptr;
  return topics_.emplace(key, std::move(rkt)).first->second.get();
}

int KafkaSink::Produce(rd_kafka_topic_t* rkt, const void* key, size_t key_len, const void* value,
                       size_t value_len, rd_kafka_headers_t* headers, void* opaque, bool copy) {
  // rd_kafka_produceva rather than the RD_KAFKA_V_* macros: same call, no GNU extensions.
  rd_kafka_vu_t vus[6];
  size_t n = 0;
  vus[n].vtype = RD_KAFKA_VTYPE_RKT;
  vus[n++].u.rkt = rkt;
  vus[n].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
  vus[n++].u.i = copy ? RD_KAFKA_MSG_F_COPY : 0;
  vus[n].vtype = RD_KAFKA_VTYPE_KEY;
  vus[n].u.mem.ptr = const_cast<void*>(key);
  vus[n++].u.mem.size = key_len;
  vus[n].vtype = RD_KAFKA_VTYPE_VALUE;
  vus[n].u.mem.ptr = const_cast<void*>(value);
  vus[n++].u.mem.size = value_len;
  vus[n].vtype = RD_KAFKA_VTYPE_OPAQUE;
  vus[n++].u.ptr = opaque;
  if (headers != nullptr) {
    vus[n].vtype = RD_KAFKA_VTYPE_HEADERS;
    vus[n++].u.headers = headers;
  }
  rd_kafka_error_t* error = rd_kafka_produceva(rk_.get(), vus, n);
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
  if (error != nullptr) {
    err = rd_kafka_error_code(error);
    rd_kafka_error_destroy(error);
  }
  return err;
}

bool KafkaSink::DeadLetter(const char* topic, const void* key, size_t key_len, const void* value,
                           size_t value_len, const rd_kafka_headers_t* original, int err_code,
                           void* opaque, size_t bytes) {
  const auto err = static_cast<rd_kafka_resp_err_t>(err_code);
  if (dead_letter_rkt_ == nullptr || !DeadLetterable(err) || dead_letter_topic_ == topic) {
    return false;
  }
  RdKafkaHeadersPtr headers(original != nullptr ? rd_kafka_headers_copy(original)
                                                : rd_kafka_headers_new(3));
  const std::string reason = std::string(rd_kafka_err2name(err)) + ": " + rd_kafka_err2str(err);
  const std::string size = std::to_string(value_len);
  rd_kafka_header_add(headers.get(), "pgcdc.original.topic", -1, topic, -1);
  rd_kafka_header_add(headers.get(), "pgcdc.error", -1, reason.data(),
                      static_cast<ssize_t>(reason.size()));
  rd_kafka_header_add(headers.get(), "pgcdc.value.bytes", -1, size.data(),
                      static_cast<ssize_t>(size.size()));
  // A value the broker found too large would be refused again: the record keeps key and headers.
  if (SizeError(err)) {
    value = nullptr;
    value_len = 0;
  }
  // Released into librdkafka's opaque once queued; the report deletes it.
  auto ticket = std::make_unique<DeadLetterTicket>(DeadLetterTicket{opaque, bytes});
  const auto produced = static_cast<rd_kafka_resp_err_t>(
      Produce(dead_letter_rkt_, key, key_len, value, value_len, headers.get(), ticket.get()));
  if (produced != RD_KAFKA_RESP_ERR_NO_ERROR) return false;
  (void)headers.release();  // librdkafka owns queued headers
  (void)ticket.release();
  const std::string shown_key =
      key != nullptr ? PrintableKey({static_cast<const char*>(key), key_len}) : "null";
  listener_->OnDeadLettered(Status::DeliveryFailed(
      "kafka: event for topic '" + std::string(topic) + "' key " + shown_key + " refused (" +
      reason + "); sent to dead-letter topic '" + dead_letter_topic_ + "'"));
  return true;
}

Status KafkaSink::Send(const ChangeEvent& ev, void* opaque) {
  rd_kafka_topic_t* rkt = TopicHandle(ev.topic);
  if (rkt == nullptr) {
    return Status::DeliveryFailed("kafka: cannot create topic handle for '" +
                                  std::string(ev.topic) +
                                  "': " + rd_kafka_err2str(rd_kafka_last_error()));
  }
  RdKafkaHeadersPtr headers;
  if (!ev.headers.empty()) {
    headers.reset(rd_kafka_headers_new(ev.headers.size()));
    for (const auto& h : ev.headers) {
      rd_kafka_header_add(headers.get(), h.name.data(), static_cast<ssize_t>(h.name.size()),
                          h.value.data(), static_cast<ssize_t>(h.value.size()));
    }
  }
  const char* key = ev.key ? ev.key->data() : nullptr;
  size_t key_len = ev.key ? ev.key->size() : 0;
  const char* value = ev.value ? ev.value->data() : nullptr;
  size_t value_len = ev.value ? ev.value->size() : 0;
  // A large value is taken over rather than copied, so it is held once while in flight. It is
  // registered before producing: the report may be served on another thread at once.
  const bool take = ev.value_owner != nullptr && value != nullptr && value_len > 0 &&
                    ev.value_owner->data() == value && ev.value_owner->size() == value_len;
  if (take) {
    auto owned = std::make_unique<std::string>(std::move(*ev.value_owner));
    std::lock_guard<std::mutex> lock(owned_mu_);
    owned_.emplace(owned->data(), std::move(owned));
    owned_count_.fetch_add(1, std::memory_order_relaxed);
  }
  const auto err = static_cast<rd_kafka_resp_err_t>(
      Produce(rkt, key, key_len, value, value_len, headers.get(), opaque, !take));
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    (void)headers.release();  // librdkafka owns queued headers
    return Status::Ok();
  }
  // Not queued: the caller keeps its event (it retries a full queue with the same one).
  std::unique_ptr<std::string> returned = take ? TakeOwned(value) : nullptr;
  if (returned) *ev.value_owner = std::move(*returned);
  // Not taken over on failure; the dead-letter record copies them.
  const bool dead_lettered = DeadLetter(rd_kafka_topic_name(rkt), key, key_len, value, value_len,
                                        headers.get(), err, opaque, ev.size_bytes());
  if (dead_lettered) return Status::Ok();
  if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) return Status::Unavailable("kafka: local queue full");
  if (DeadLetterable(err)) {
    listener_->OnRefused(opaque,
                         {ev.topic, key, key_len, rd_kafka_err2str(err), rd_kafka_err2name(err)});
  }
  return Status::DeliveryFailed(
      "kafka: cannot produce to '" + std::string(ev.topic) + "' key " +
      (key != nullptr ? PrintableKey({static_cast<const char*>(key), key_len}) : "null") + ": " +
      rd_kafka_err2str(err));
}

std::unique_ptr<std::string> KafkaSink::TakeOwned(const void* payload) {
  if (payload == nullptr || owned_count_.load(std::memory_order_relaxed) == 0) return nullptr;
  std::lock_guard<std::mutex> lock(owned_mu_);
  auto it = owned_.find(payload);
  if (it == owned_.end()) return nullptr;
  std::unique_ptr<std::string> s = std::move(it->second);
  owned_.erase(it);
  owned_count_.fetch_sub(1, std::memory_order_relaxed);
  return s;
}

void KafkaSink::HandleDeliveryReport(const void* m) {
  const auto* msg = static_cast<const rd_kafka_message_t*>(m);
  // A value taken over by Send() lives until this report is handled (a dead-letter copy of it
  // included), then is freed.
  const std::unique_ptr<std::string> owned = TakeOwned(msg->payload);
  if (dead_letter_rkt_ != nullptr && msg->rkt == dead_letter_rkt_) {
    // A dead-letter record: report the original event.
    const std::unique_ptr<DeadLetterTicket> ticket(static_cast<DeadLetterTicket*>(msg->_private));
    const DeadLetterTicket t = *ticket;
    listener_->OnDelivery(
        t.opaque, t.bytes,
        msg->err == RD_KAFKA_RESP_ERR_NO_ERROR
            ? Status::Ok()
            : Status::DeliveryFailed("kafka: delivery to dead-letter topic '" + dead_letter_topic_ +
                                     "' failed: " + rd_kafka_err2str(msg->err)));
    return;
  }
  if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    listener_->OnDelivery(msg->_private, msg->len + msg->key_len, Status::Ok());
    return;
  }
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(msg, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR) headers = nullptr;
  if (DeadLetter(rd_kafka_topic_name(msg->rkt), msg->key, msg->key_len, msg->payload, msg->len,
                 headers, msg->err, msg->_private, msg->len + msg->key_len)) {
    return;
  }
  if (DeadLetterable(msg->err)) {
    listener_->OnRefused(msg->_private,
                         {rd_kafka_topic_name(msg->rkt), static_cast<const char*>(msg->key),
                          msg->key_len, rd_kafka_err2str(msg->err), rd_kafka_err2name(msg->err)});
  }
  std::string key =
      msg->key ? PrintableKey({static_cast<const char*>(msg->key), msg->key_len}) : "null";
  listener_->OnDelivery(
      msg->_private, msg->len + msg->key_len,
      Status::DeliveryFailed("kafka: delivery to topic '" +
                             std::string(rd_kafka_topic_name(msg->rkt)) + "' key " + key +
                             " failed: " + rd_kafka_err2str(msg->err) + " (" +
                             rd_kafka_err2name(msg->err) + ")"));
}

void KafkaSink::DrainWakeup() {
  char buf[256];
  while (read(wake_read_fd_, buf, sizeof(buf)) > 0) {
  }
}

void KafkaSink::Poll(int timeout_ms) {
  DrainWakeup();
  rd_kafka_poll(rk_.get(), timeout_ms);
}

Status KafkaSink::Flush(int timeout_ms) {
  DrainWakeup();
  // rd_kafka_flush serves delivery reports through rd_kafka_poll while it waits.
  rd_kafka_resp_err_t err = rd_kafka_flush(rk_.get(), timeout_ms);
  if (err == RD_KAFKA_RESP_ERR__TIMED_OUT) {
    return Status::Unavailable("kafka: " + std::to_string(rd_kafka_outq_len(rk_.get())) +
                               " messages still undelivered after " + std::to_string(timeout_ms) +
                               " ms");
  }
  return Status::Ok();
}

Status KafkaSink::CheckReachable(int timeout_ms) {
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(rk_.get(), 0, nullptr, &md, timeout_ms);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Status::Unavailable(std::string("kafka: cannot reach bootstrap.servers within ") +
                               std::to_string(timeout_ms) + " ms: " + rd_kafka_err2str(err));
  }
  rd_kafka_metadata_destroy(md);
  return Status::Ok();
}

}  // namespace cdc::sinks
