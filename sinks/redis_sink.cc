#include "sinks/redis_sink.h"

#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/time.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <string_view>
#include <thread>
#include <vector>

#include "sinks/printable_key.h"

namespace cdc::sinks {

void RedisContextDeleter::operator()(redisContext* c) const { redisFree(c); }

namespace {

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

// Debezium Server's redis.null.key / redis.null.value default.
constexpr std::string_view kNullKey = "default";
constexpr int kFirstBackoffMs = 200;
constexpr int kMaxBackoffMs = 5000;
// Written to the socket from Send() once this much is buffered; otherwise Poll() writes, so a
// turn of the stream loop costs one write.
constexpr size_t kWriteAtBytes = 64 * 1024;
// Redis's reply to an XADD whose explicit id is not above the stream's last id.
constexpr std::string_view kIdNotAbove = "ERR The ID specified in XADD is equal or smaller";

void AppendBulk(std::string* out, std::string_view s) {
  out->push_back('$');
  out->append(std::to_string(s.size()));
  out->append("\r\n");
  out->append(s);
  out->append("\r\n");
}

// Error replies that a later attempt may not get: the server is full (Debezium Server retries
// OOM too), still loading its data, busy with a script, or its primary is down.
bool Retryable(std::string_view code) {
  return code == "OOM" || code == "LOADING" || code == "BUSY" || code == "TRYAGAIN" ||
         code == "MASTERDOWN";
}

std::string ReplyText(const redisReply& r) {
  return r.str != nullptr ? std::string(r.str, r.len) : std::string("(no text)");
}

timeval ToTimeval(int ms) {
  return timeval{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>((ms % 1000) * 1000)};
}

// Runs one command on a blocking context. The reply, or the cause.
Result<ReplyPtr> Command(redisContext* c, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  ReplyPtr reply(static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data())));
  if (reply == nullptr) return Status::Unavailable(c->errstr);
  if (reply->type == REDIS_REPLY_ERROR) return Status::Unavailable(ReplyText(*reply));
  return reply;
}

}  // namespace

RedisSink::RedisSink(RedisOptions options, DeliveryListener* listener)
    : options_(std::move(options)), listener_(listener) {}

RedisSink::~RedisSink() {
  ctx_.reset();
  // Callers drained first; whatever is left was not acknowledged and must not be confirmed.
  while (!pending_.empty()) {
    Pending p = std::move(pending_.front());
    pending_.pop_front();
    listener_->OnDelivery(
        p.opaque, p.bytes,
        Status::DeliveryFailed("redis: sink closed before Redis acknowledged " + Describe(p)));
  }
}

Result<RedisContextPtr> RedisSink::Connect(int timeout_ms) const {
  const std::string where = options_.host + ":" + std::to_string(options_.port);
  RedisContextPtr c(
      redisConnectWithTimeout(options_.host.c_str(), options_.port, ToTimeval(timeout_ms)));
  if (c == nullptr) return Status::Unavailable("redis: cannot allocate a connection");
  if (c->err != 0)
    return Status::Unavailable("redis: cannot connect to " + where + ": " + c->errstr);
  // Bounds the handshake below; the context turns non-blocking afterwards.
  if (redisSetTimeout(c.get(), ToTimeval(timeout_ms)) != REDIS_OK) {
    return Status::Unavailable("redis: cannot set a timeout on the connection to " + where);
  }
  if (!options_.password.empty()) {
    std::vector<std::string> auth{"AUTH"};
    if (!options_.user.empty()) auth.push_back(options_.user);
    auth.push_back(options_.password);
    auto r = Command(c.get(), auth);
    if (!r.ok()) {
      return Status::Unavailable("redis: authentication at " + where +
                                 (options_.user.empty() ? "" : " as user '" + options_.user + "'") +
                                 " failed: " + r.status().message());
    }
  }
  if (options_.db != 0) {
    auto r = Command(c.get(), {"SELECT", std::to_string(options_.db)});
    if (!r.ok()) {
      return Status::Unavailable("redis: SELECT " + std::to_string(options_.db) + " at " + where +
                                 " failed: " + r.status().message());
    }
  }
  return c;
}

Status RedisSink::CheckReachable(int timeout_ms) {
  auto c = Connect(timeout_ms);
  if (!c.ok()) return c.status();
  auto pong = Command(c->get(), {"PING"});
  if (!pong.ok()) {
    std::string hint;
    if (pong.status().message().rfind("NOAUTH", 0) == 0) {
      hint = " (the server wants a password: redis://[user]:password@host in sink.redis.url)";
    }
    return Status::Unavailable("redis: PING at " + options_.host + ":" +
                               std::to_string(options_.port) +
                               " failed: " + pong.status().message() + hint);
  }
  if (options_.position_ids) {
    // Snapshot rows' "<ms>-*" ids are Redis 7's; an older server would fail them mid-snapshot.
    auto info = Command(c->get(), {"INFO", "server"});
    if (!info.ok()) return info.status();
    const std::string text = ReplyText(**info);
    const size_t at = text.find("redis_version:");
    const int major = at == std::string::npos ? 0 : std::atoi(text.c_str() + at + 14);
    if (major < 7) {
      return Status::FailedPrecondition(
          "redis: " + options_.host + ":" + std::to_string(options_.port) + " runs Redis " +
          (at == std::string::npos ? std::string("(version unknown)")
                                   : text.substr(at + 14, text.find('\r', at) - at - 14)) +
          "; sink.redis.entry_ids: position needs Redis 7 or later (set entry_ids: auto)");
    }
  }
  return Status::Ok();
}

void RedisSink::MaybeReconnect() {
  if (ctx_ != nullptr || std::chrono::steady_clock::now() < next_attempt_) return;
  auto c = Connect(kConnectTimeoutMs);
  if (!c.ok()) {
    Disconnect(c.status().message());
    return;
  }
  RedisContextPtr ctx = std::move(*c);
  // Non-blocking from here on: Poll() waits on the socket itself, with the caller's timeout.
  const int flags = fcntl(ctx->fd, F_GETFL);
  if (flags < 0 || fcntl(ctx->fd, F_SETFL, flags | O_NONBLOCK) != 0) {
    Disconnect("redis: cannot make the connection non-blocking");
    return;
  }
  ctx->flags &= ~REDIS_BLOCK;
  // In order, every event not yet answered: the ones a lost connection took with it too.
  size_t again = 0;
  for (const Pending& p : pending_) {
    if (p.command.empty()) continue;
    if (redisAppendFormattedCommand(ctx.get(), p.command.data(), p.command.size()) != REDIS_OK) {
      Disconnect("redis: out of memory buffering commands");
      return;
    }
    ++again;
  }
  ctx_ = std::move(ctx);
  if (!outage_cause_.empty()) {
    spdlog::info("redis: connected to {}:{} again; writing {} unacknowledged events again",
                 options_.host, options_.port, again);
    outage_cause_.clear();
  }
}

void RedisSink::Disconnect(const std::string& cause) {
  ctx_.reset();
  backoff_ms_ = backoff_ms_ == 0 ? kFirstBackoffMs : std::min(backoff_ms_ * 2, kMaxBackoffMs);
  next_attempt_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(backoff_ms_);
  // Once per cause, not once per attempt: an outage is one line, and another when it changes.
  if (cause != outage_cause_) {
    spdlog::warn("{}; {} events wait for acknowledgement, retrying (the confirmed LSN waits)",
                 cause, pending_.size());
  }
  outage_cause_ = cause;
}

std::string RedisSink::EntryId(const ChangeEvent& ev, bool* resent_ok) {
  *resent_ok = false;
  if (!options_.position_ids) return "*";
  if (ev.op == 'r') {
    // Below the stream's first streamed id: streamed transactions commit at or after the
    // snapshot's LSN. Redis numbers the sequence, so a resumed snapshot is never refused.
    return std::to_string(ev.lsn.value > 0 ? ev.lsn.value - 1 : 0) + "-*";
  }
  if (ev.commit_lsn.value == 0) return "*";  // a heartbeat: no position
  StreamPosition& pos = positions_.try_emplace(std::string(ev.topic)).first->second;
  // Change LSNs only rise within a transaction: a lower one is the transaction emitted again
  // (after a lost PostgreSQL connection), which must get the ids it had.
  if (pos.commit != ev.commit_lsn.value || ev.lsn.value < pos.change) {
    pos.commit = ev.commit_lsn.value;
    pos.next = 0;
  }
  pos.change = ev.lsn.value;
  *resent_ok = true;
  return std::to_string(pos.commit) + "-" + std::to_string(pos.next++);
}

Status RedisSink::Send(const ChangeEvent& ev, void* opaque) {
  Pending p{opaque, ev.size_bytes(), {}, 0, 0, 0, 0, !ev.key.has_value(), false};
  if (ev.value) {
    const std::string_view key = ev.key ? *ev.key : kNullKey;
    std::string& cmd = p.command;
    const size_t fields = options_.extended ? 2 + ev.headers.size() : 1;
    const size_t trim_args = options_.max_len <= 0 ? 0 : options_.max_len_approximate ? 3 : 2;
    cmd.reserve(64 + ev.topic.size() + key.size() + ev.value->size());
    cmd.append("*" + std::to_string(3 + trim_args + 2 * fields) + "\r\n");
    AppendBulk(&cmd, "XADD");
    AppendBulk(&cmd, ev.topic);
    p.topic_pos = cmd.size() - 2 - ev.topic.size();
    p.topic_len = ev.topic.size();
    if (trim_args > 0) {
      // Trimming never makes Redis accept a re-published position id: the stream keeps its last
      // id after trimming, and an id at or below it is still refused.
      AppendBulk(&cmd, "MAXLEN");
      if (options_.max_len_approximate) AppendBulk(&cmd, "~");
      AppendBulk(&cmd, std::to_string(options_.max_len));
    }
    AppendBulk(&cmd, EntryId(ev, &p.resent_ok));
    if (options_.extended) {
      AppendBulk(&cmd, "key");
      AppendBulk(&cmd, key);
      p.key_pos = cmd.size() - 2 - key.size();
      AppendBulk(&cmd, "value");
      AppendBulk(&cmd, *ev.value);
      // Debezium Server upper-cases header names in this format.
      for (const auto& h : ev.headers) {
        std::string name(h.name);
        for (char& ch : name) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        AppendBulk(&cmd, name);
        AppendBulk(&cmd, h.value);
      }
    } else {
      AppendBulk(&cmd, key);
      p.key_pos = cmd.size() - 2 - key.size();
      AppendBulk(&cmd, *ev.value);
    }
    p.key_len = key.size();
  }
  pending_.push_back(std::move(p));
  const Pending& added = pending_.back();
  if (ctx_ == nullptr) {
    MaybeReconnect();  // writes every pending command, this one included
    return Status::Ok();
  }
  if (added.command.empty()) return Status::Ok();
  if (redisAppendFormattedCommand(ctx_.get(), added.command.data(), added.command.size()) !=
      REDIS_OK) {
    Disconnect("redis: out of memory buffering commands");
    return Status::Ok();
  }
  if (sdslen(ctx_->obuf) >= kWriteAtBytes) {
    int done = 0;
    if (redisBufferWrite(ctx_.get(), &done) != REDIS_OK) {
      Disconnect(std::string("redis: write to ") + options_.host + ":" +
                 std::to_string(options_.port) + " failed: " + ctx_->errstr);
    }
  }
  return Status::Ok();
}

void RedisSink::ReportSkipped() {
  while (!pending_.empty() && pending_.front().command.empty()) {
    Pending p = std::move(pending_.front());
    pending_.pop_front();
    listener_->OnDelivery(p.opaque, p.bytes, Status::Ok());
  }
}

std::string RedisSink::Describe(const Pending& p) const {
  if (p.command.empty()) return "a tombstone";
  std::string_view cmd(p.command);
  return "the event for stream '" + std::string(cmd.substr(p.topic_pos, p.topic_len)) + "' key " +
         (p.null_key ? "null" : PrintableKey(cmd.substr(p.key_pos, p.key_len)));
}

void RedisSink::HandleReply(const redisReply& reply) {
  // Called with a command entry at the head: replies come in the order commands were written.
  Pending p = std::move(pending_.front());
  pending_.pop_front();
  Status status;
  if (reply.type == REDIS_REPLY_STRING) {
    backoff_ms_ = 0;  // the server takes writes again
  } else if (reply.type == REDIS_REPLY_ERROR && p.resent_ok &&
             ReplyText(reply).rfind(kIdNotAbove, 0) == 0) {
    // The stream holds this entry already (written before a restart or a reconnect): ids rise
    // in stream order, so a top item at or above it means it got there. Delivered.
    backoff_ms_ = 0;
    if (refused_as_present_++ == 0) {
      spdlog::info(
          "redis: stream '{}' has an entry already (written before a restart); Redis "
          "refused it again and it counts as delivered (further ones are not logged)",
          std::string_view(p.command).substr(p.topic_pos, p.topic_len));
    }
  } else if (reply.type == REDIS_REPLY_ERROR) {
    // WRONGTYPE (the key is not a stream), NOPERM (the ACL), ...: an operator must act. Not
    // reported as a refusal (OnRefused): its record's ways out are Kafka's (a dead-letter topic,
    // which this sink has not).
    status =
        Status::DeliveryFailed("redis: XADD of " + Describe(p) + " failed: " + ReplyText(reply));
  } else {
    status =
        Status::DeliveryFailed("redis: XADD of " + Describe(p) + " got an unexpected reply (type " +
                               std::to_string(reply.type) + ")");
  }
  listener_->OnDelivery(p.opaque, p.bytes, status);
}

void RedisSink::Pump(int timeout_ms) {
  const std::string where = options_.host + ":" + std::to_string(options_.port);
  int done = 0;
  if (redisBufferWrite(ctx_.get(), &done) != REDIS_OK) {
    Disconnect("redis: write to " + where + " failed: " + ctx_->errstr);
    return;
  }
  bool waited = false;
  for (;;) {
    void* out = nullptr;
    if (redisGetReplyFromReader(ctx_.get(), &out) != REDIS_OK) {
      Disconnect("redis: bad reply from " + where + ": " + ctx_->errstr);
      return;
    }
    if (out != nullptr) {
      ReplyPtr reply(static_cast<redisReply*>(out));
      ReportSkipped();
      if (pending_.empty()) {
        Disconnect("redis: a reply from " + where + " that no command waited for");
        return;
      }
      if (reply->type == REDIS_REPLY_ERROR) {
        const std::string text = ReplyText(*reply);
        if (Retryable(text.substr(0, text.find(' ')))) {
          // Later commands may succeed and be answered before this one is written again:
          // start over on a new connection, in order, rather than reorder the stream.
          Disconnect("redis: " + where + " answered '" + text + "' to " +
                     Describe(pending_.front()));
          return;
        }
      }
      HandleReply(*reply);
      continue;
    }
    ReportSkipped();
    if (pending_.empty() || waited) return;
    // Nothing parsed yet: wait once for the socket, then read what came.
    pollfd pfd{ctx_->fd, static_cast<short>(POLLIN | (done ? 0 : POLLOUT)), 0};
    waited = true;
    if (poll(&pfd, 1, timeout_ms) <= 0) return;
    if ((pfd.revents & POLLOUT) != 0 && redisBufferWrite(ctx_.get(), &done) != REDIS_OK) {
      Disconnect("redis: write to " + where + " failed: " + ctx_->errstr);
      return;
    }
    if ((pfd.revents & (POLLIN | POLLERR | POLLHUP)) != 0 &&
        redisBufferRead(ctx_.get()) != REDIS_OK) {
      Disconnect("redis: connection to " + where + " lost: " + ctx_->errstr);
      return;
    }
  }
}

void RedisSink::Poll(int timeout_ms) {
  ReportSkipped();
  if (pending_.empty()) return;
  if (ctx_ == nullptr) {
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
        next_attempt_ - std::chrono::steady_clock::now());
    if (wait.count() > 0) {
      if (wait.count() > timeout_ms) {
        if (timeout_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(timeout_ms));
        return;
      }
      std::this_thread::sleep_for(wait);
    }
    MaybeReconnect();
    if (ctx_ == nullptr) return;
    timeout_ms = 0;
  }
  Pump(timeout_ms);
}

int RedisSink::wakeup_fd() const {
  if (ctx_ == nullptr || pending_.empty() || sdslen(ctx_->obuf) != 0) return -1;
  return ctx_->fd;
}

Status RedisSink::Flush(int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!pending_.empty()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0) {
      return Status::Unavailable("redis: " + std::to_string(pending_.size()) +
                                 " events still unacknowledged after " +
                                 std::to_string(timeout_ms) + " ms" +
                                 (outage_cause_.empty() ? "" : " (" + outage_cause_ + ")"));
    }
    Poll(static_cast<int>(std::min<long long>(left, 100)));
  }
  return Status::Ok();
}

}  // namespace cdc::sinks
