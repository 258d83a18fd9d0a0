#include "sinks/nats_sink.h"

#include <fcntl.h>
#include <nats/nats.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "sinks/base64.h"
#include "sinks/nats_util.h"
#include "sinks/printable_key.h"

namespace cdc::sinks {

using nats_util::NatsError;

namespace {

// Where pgcdc puts the event's key (Debezium Server's NATS sink has none; Kafka has a key
// field). Named like the dead-letter headers of the Kafka sink ("pgcdc.error").
constexpr const char* kKeyHeader = "pgcdc.key";

std::string PubAckError(const jsPubAckErr* err) {
  std::string text = natsStatus_GetText(err->Err);
  if (err->ErrText != nullptr && *err->ErrText != '\0') text += std::string(": ") + err->ErrText;
  if (err->ErrCode != 0) text += " (JetStream error " + std::to_string(err->ErrCode) + ")";
  if (err->Err == NATS_TIMEOUT) text = "no PubAck (" + text + ")";
  if (err->Err == NATS_NO_RESPONDERS) text += "; no stream captures this subject";
  return text;
}

}  // namespace

void NatsDeleter::operator()(natsOptions* o) const { natsOptions_Destroy(o); }
void NatsDeleter::operator()(natsConnection* nc) const { natsConnection_Destroy(nc); }
void NatsDeleter::operator()(jsCtx* js) const { jsCtx_Destroy(js); }

std::string NatsSink::MessageId(std::string_view topic, char op, uint64_t lsn, uint32_t n) {
  switch (op) {
    case 'c':
    case 'u':
    case 'd':
    case 't':
    case 'm': break;
    default: return "";  // snapshot rows, transaction metadata, heartbeats: no own position
  }
  char pos[48];
  std::snprintf(pos, sizeof(pos), ":%X/%X:%u", static_cast<unsigned>(lsn >> 32),
                static_cast<unsigned>(lsn & 0xffffffffU), n);
  return std::string(topic) + pos;
}

Result<std::unique_ptr<NatsSink>> NatsSink::Create(NatsOptions options,
                                                   DeliveryListener* listener) {
  natsOptions* raw = nullptr;
  if (natsOptions_Create(&raw) != NATS_OK) return Status::IoError("nats: cannot create options");
  NatsOptionsPtr opts(raw);
  std::vector<const char*> urls;
  bool tls = !options.tls_ca_file.empty() || !options.tls_cert_file.empty();
  for (const auto& u : options.urls) {
    urls.push_back(u.c_str());
    if (u.rfind("tls://", 0) == 0) tls = true;
  }
  auto check = [](natsStatus s, const std::string& what) {
    // Not the value: a URL may hold a password.
    return s == NATS_OK ? Status::Ok() : Status::InvalidArgument(what + ": " + NatsError(s));
  };
  CDC_RETURN_IF_ERROR(
      check(natsOptions_SetServers(opts.get(), urls.data(), static_cast<int>(urls.size())),
            "sink.nats.url"));
  // Servers are tried in the order given, as a list reads.
  (void)natsOptions_SetNoRandomize(opts.get(), true);
  (void)natsOptions_SetName(opts.get(), "pgcdc");
  // No reconnect, as Debezium Server: see the header for why a lost connection fails instead.
  (void)natsOptions_SetAllowReconnect(opts.get(), false);
  // JSON payloads of one change: cnats must not drop PubAcks for a slow caller.
  (void)natsOptions_SetMaxPendingMsgs(opts.get(), 10'000'000);
  if (!options.creds_file.empty()) {
    CDC_RETURN_IF_ERROR(check(
        natsOptions_SetUserCredentialsFromFiles(opts.get(), options.creds_file.c_str(), nullptr),
        "sink.nats.creds_file '" + options.creds_file + "'"));
  }
  if (!options.token.empty()) {
    CDC_RETURN_IF_ERROR(
        check(natsOptions_SetToken(opts.get(), options.token.c_str()), "sink.nats.token"));
  }
  if (tls) {
    CDC_RETURN_IF_ERROR(check(natsOptions_SetSecure(opts.get(), true), "sink.nats TLS"));
  }
  if (!options.tls_ca_file.empty()) {
    CDC_RETURN_IF_ERROR(
        check(natsOptions_LoadCATrustedCertificates(opts.get(), options.tls_ca_file.c_str()),
              "sink.nats.tls_ca_file '" + options.tls_ca_file + "'"));
  }
  if (!options.tls_cert_file.empty()) {
    CDC_RETURN_IF_ERROR(
        check(natsOptions_LoadCertificatesChain(opts.get(), options.tls_cert_file.c_str(),
                                                options.tls_key_file.c_str()),
              "sink.nats.tls_cert_file '" + options.tls_cert_file + "'"));
  }

  int fds[2];
  if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) return Status::IoError("pipe2 failed");
  // No closed callback: cnats may run it after the sink is gone. Serve() asks instead.
  std::unique_ptr<NatsSink> self(new NatsSink(std::move(options), listener, fds[0], fds[1]));
  self->opts_ = std::move(opts);
  return self;
}

NatsSink::NatsSink(NatsOptions options, DeliveryListener* listener, int wake_read_fd,
                   int wake_write_fd)
    : options_(std::move(options)),
      listener_(listener),
      wake_read_fd_(wake_read_fd),
      wake_write_fd_(wake_write_fd) {}

NatsSink::~NatsSink() {
  if (nc_ != nullptr) {
    // Closing stops PubAcks from arriving; what cnats still holds is failed, and a handler
    // already running finishes before in_flight_ is empty (it erases its entry last).
    natsConnection_Close(nc_.get());
    FailPending("pgcdc stopped before the PubAck came");
    std::unique_lock<std::mutex> lock(mu_);
    if (!settled_.wait_for(lock, std::chrono::seconds(10), [this] { return in_flight_.empty(); })) {
      spdlog::error("nats: {} messages neither acknowledged nor failed by cnats at shutdown",
                    in_flight_.size());
    }
  }
  Serve();
  js_.reset();
  nc_.reset();
  opts_.reset();
  close(wake_read_fd_);
  close(wake_write_fd_);
}

Status NatsSink::Send(const ChangeEvent& ev, void* opaque) {
  if (!ev.value) {
    // A tombstone: Kafka's compaction device, with no meaning in a stream. Reported delivered.
    std::lock_guard<std::mutex> lock(mu_);
    ready_.push_back({opaque, ev.size_bytes(), Status::Ok()});
    Wake();
    return Status::Ok();
  }
  const std::string subject(ev.topic);
  if (js_ == nullptr) return Status::DeliveryFailed("nats: not connected");
  natsMsg* msg = nullptr;
  natsStatus s = natsMsg_Create(&msg, subject.c_str(), nullptr, ev.value->data(),
                                static_cast<int>(ev.value->size()));
  // Header values are NUL-terminated text; binary ones (Avro keys) go as base64.
  std::string text;
  auto header_text = [&](std::string_view value) -> const char* {
    text.clear();
    if (options_.binary_headers) {
      AppendBase64(&text, value);
    } else {
      text.assign(value);
    }
    return text.c_str();
  };
  if (s == NATS_OK && ev.key) s = natsMsgHeader_Set(msg, kKeyHeader, header_text(*ev.key));
  for (const auto& h : ev.headers) {
    if (s != NATS_OK) break;
    s = natsMsgHeader_Set(msg, std::string(h.name).c_str(), header_text(h.value));
  }
  if (s != NATS_OK) {
    natsMsg_Destroy(msg);
    return Status::DeliveryFailed("nats: cannot build message for '" + subject +
                                  "': " + NatsError(s));
  }
  // Streamed records get a Nats-Msg-Id from their WAL position; see MessageId().
  const std::string id = MessageId(ev.topic, ev.op, ev.lsn.value, 0);
  std::string numbered;
  if (!id.empty()) {
    id_count_ = ev.lsn.value == id_lsn_ ? id_count_ + 1 : 0;
    id_lsn_ = ev.lsn.value;
    numbered = MessageId(ev.topic, ev.op, ev.lsn.value, id_count_);
  }
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MaxWait = options_.ack_timeout_ms;
  if (!numbered.empty()) po.MsgId = numbered.c_str();
  {
    // Registered first: the PubAck may be handled on cnats's thread before the call returns.
    std::lock_guard<std::mutex> lock(mu_);
    in_flight_.emplace(msg, InFlight{opaque, ev.size_bytes()});
  }
  natsMsg* owned = msg;
  s = js_PublishMsgAsync(js_.get(), &owned, &po);
  if (s == NATS_OK) {
    published_ = true;
    return Status::Ok();  // cnats owns it until the AckHandler
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    in_flight_.erase(msg);
  }
  natsMsg_Destroy(owned);
  const std::string cause = NatsError(s);
  if (s == NATS_MAX_PAYLOAD) {
    listener_->OnRefused(opaque, {ev.topic, ev.key ? ev.key->data() : nullptr,
                                  ev.key ? ev.key->size() : 0, cause, "MAX_PAYLOAD"});
  }
  return Status::DeliveryFailed("nats: cannot publish to '" + subject + "': " + cause);
}

void NatsSink::HandleAck(natsMsg* msg, const jsPubAck* ack, const jsPubAckErr* err) {
  Status status = Status::Ok();
  if (ack == nullptr) {
    const char* key = nullptr;
    std::string shown = "null";
    if (natsMsgHeader_Get(msg, kKeyHeader, &key) == NATS_OK && key != nullptr) {
      shown = PrintableKey(key);
    }
    status = Status::DeliveryFailed(
        "nats: publish to '" + std::string(natsMsg_GetSubject(msg)) + "' key " + shown +
        " failed: " + (err != nullptr ? PubAckError(err) : std::string("no PubAck")));
  }
  Queue(msg, std::move(status));
}

void NatsSink::Queue(natsMsg* msg, Status status) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = in_flight_.find(msg);
  if (it != in_flight_.end()) {
    ready_.push_back({it->second.opaque, it->second.bytes, std::move(status)});
    in_flight_.erase(it);
  }
  natsMsg_Destroy(msg);
  Wake();
  settled_.notify_all();
}

void NatsSink::FailPending(const std::string& cause) {
  // cnats 3.4 dereferences its pending map, made by the first asynchronous publish: without
  // one there is nothing to take back, and asking would crash.
  if (js_ == nullptr || !published_) return;
  natsMsgList pending{nullptr, 0};
  if (js_PublishAsyncGetPendingList(&pending, js_.get()) != NATS_OK) return;
  for (int i = 0; i < pending.Count; ++i) {
    natsMsg* msg = pending.Msgs[i];
    pending.Msgs[i] = nullptr;  // Queue destroys it
    Queue(msg, Status::DeliveryFailed("nats: publish to '" + std::string(natsMsg_GetSubject(msg)) +
                                      "' failed: " + cause));
  }
  natsMsgList_Destroy(&pending);
}

void NatsSink::Wake() {
  const char b = 1;
  (void)!write(wake_write_fd_, &b, 1);  // a full pipe is awake already
}

void NatsSink::Serve() {
  char buf[256];
  while (read(wake_read_fd_, buf, sizeof(buf)) > 0) {
  }
  // The server went away (no reconnect): no PubAck will come for what cnats still holds.
  if (nc_ != nullptr && natsConnection_IsClosed(nc_.get()))
    FailPending("connection to the NATS server lost before the PubAck came");
  std::vector<Report> reports;
  {
    std::lock_guard<std::mutex> lock(mu_);
    reports.swap(ready_);
  }
  for (const auto& r : reports) listener_->OnDelivery(r.opaque, r.bytes, r.status);
}

void NatsSink::Poll(int timeout_ms) {
  bool waiting = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    waiting = ready_.empty();
  }
  if (waiting && timeout_ms > 0) {
    pollfd p{wake_read_fd_, POLLIN, 0};
    (void)poll(&p, 1, timeout_ms);
  }
  Serve();
}

Status NatsSink::Flush(int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    Serve();
    size_t left = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      left = in_flight_.size() + ready_.size();
    }
    if (left == 0) return Status::Ok();
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      return Status::Unavailable("nats: " + std::to_string(left) +
                                 " messages still unacknowledged after " +
                                 std::to_string(timeout_ms) + " ms");
    }
    pollfd p{wake_read_fd_, POLLIN, 0};
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count();
    (void)poll(&p, 1, static_cast<int>(std::min<long long>(wait, 100)));
  }
}

}  // namespace cdc::sinks
