#pragma once

// RedisSink: appends each event to a Redis stream with XADD, in Debezium Server's layout: the
// stream key is the topic name, and the entry holds
//   compact (default):  one field, key -> value;
//   extended:           "key" -> key, "value" -> value, then each header, its name upper-cased.
// A null key is written as the string "default", as Debezium Server does. Tombstones are not
// written (Debezium Server would write the string "default" as the value); they are reported
// delivered in their turn.
//
// Entry ids (position_ids, the default; else Redis's own "*" as Debezium Server): a streamed
// record's id is "<commit LSN>-<n>", the commit LSN of its transaction as a 64-bit number and n
// its index among the transaction's entries in that stream. Ids so rise in stream order (commit
// LSNs rise in the order transactions are emitted; change LSNs of concurrent transactions would
// not) and a record re-published after a crash gets the id it had: Redis refuses it ("equal or
// smaller than the target stream top item"), and that refusal is reported delivered, as the
// entry is there. Snapshot reads share the snapshot's LSN L and are not re-read in the same
// order, so they get "<L-1>-*" (Redis 7 numbers the sequence): below every streamed id, which
// start at L, and never refused in a resumed snapshot (at-least-once for them). Heartbeats
// (no position) get "*". A refusal of any id but a streamed record's fails its report.
//
// Trimming (max_len > 0): each XADD carries MAXLEN [~] max_len, so Redis drops the stream's
// oldest entries as it appends. A trimmed stream keeps its last id, so position ids still make
// Redis refuse a re-publication of a trimmed change.
//
// Delivery (the EventSink contract): commands are pipelined on one connection; how many are
// unanswered is bounded by the caller (limits.max_inflight_*, as for Kafka). An event is
// reported OK once Redis replied to its XADD with an entry id: the entry is in the server's
// memory, and on disk only with appendonly yes + appendfsync always (with everysec a server
// crash may lose the last second of acknowledged entries).
// Replicas are not waited for (no WAIT). When the connection fails, or Redis answers OOM /
// LOADING / BUSY / TRYAGAIN / MASTERDOWN, nothing is reported: the unanswered events wait, in
// order, and are written again on a new connection after a backoff (0.2 s doubling to 5 s),
// as librdkafka retries an outage; the confirmed LSN stays put meanwhile. Events whose reply was
// lost with the connection may so be written twice (at-least-once). Any other error reply
// (WRONGTYPE, NOPERM, ...) fails that event's report, so nothing after it is confirmed; there is
// no dead-letter stream.
//
// Ownership: owns its hiredis context and a copy of every unanswered command. Destruction does
// not wait: callers drain first (Flush); what is still unanswered is reported as failed.
// Threading: one thread at a time (thread_safe() is false); I/O and reports happen on the
// caller's thread inside Send(), Poll(), Flush(). Connecting blocks that thread for up to
// kConnectTimeoutMs per attempt.

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>

#include "sinks/event_sink.h"

struct redisContext;
struct redisReply;

namespace cdc::sinks {

struct RedisOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  int db = 0;
  std::string user;                 // "" = AUTH <password> (the default user)
  std::string password;             // "" = no AUTH
  bool extended = false;            // message_format: extended (else compact)
  bool position_ids = true;         // entry_ids: position (else auto, "*")
  int64_t max_len = 0;              // > 0: XADD ... MAXLEN [~] max_len (trims the oldest entries)
  bool max_len_approximate = true;  // "~": whole radix-tree nodes only, far cheaper
};

struct RedisContextDeleter {
  void operator()(redisContext* c) const;
};
using RedisContextPtr = std::unique_ptr<redisContext, RedisContextDeleter>;

class RedisSink final : public EventSink {
 public:
  static constexpr int kConnectTimeoutMs = 2000;

  // Does not connect: the first Send()/Poll() does (CheckReachable checks on its own connection).
  RedisSink(RedisOptions options, DeliveryListener* listener);
  ~RedisSink() override;
  RedisSink(const RedisSink&) = delete;
  RedisSink& operator=(const RedisSink&) = delete;

  // Queues the XADD (or, for a tombstone, nothing); never refuses for lack of room.
  Status Send(const ChangeEvent& event, void* opaque) override;
  void Poll(int timeout_ms) override;
  // The socket while replies are awaited and everything is written; else -1 (poll on a cadence).
  int wakeup_fd() const override;
  Status Flush(int timeout_ms) override;
  // Connects, authenticates, selects the database and PINGs, on a connection of its own.
  Status CheckReachable(int timeout_ms) override;

 private:
  struct Pending {
    void* opaque;
    size_t bytes;
    std::string command;                            // RESP; empty for a tombstone (nothing written)
    size_t topic_pos, topic_len, key_pos, key_len;  // into command, for error lines
    bool null_key;
    bool resent_ok;  // a position id: Redis refusing it as not above the top means "already there"
  };
  // Per stream: the entries of the transaction being written, for position ids.
  struct StreamPosition {
    uint64_t commit = 0;
    uint64_t change = 0;  // the last entry's change LSN
    uint64_t next = 0;    // its index + 1
  };

  // A connected, authenticated, non-blocking context, or the cause.
  Result<RedisContextPtr> Connect(int timeout_ms) const;
  // Reconnects when the backoff allows and writes every unanswered command again.
  void MaybeReconnect();
  // Drops the connection; the unanswered events wait for the next one.
  void Disconnect(const std::string& cause);
  // Writes what hiredis buffered, then waits up to `timeout_ms` for replies and reports them.
  void Pump(int timeout_ms);
  void HandleReply(const redisReply& reply);
  // Reports the tombstones at the head of the queue (nothing is awaited for them).
  void ReportSkipped();
  std::string Describe(const Pending& p) const;
  // The XADD id for `ev`, and whether a "not above the top item" refusal means delivered.
  std::string EntryId(const ChangeEvent& ev, bool* resent_ok);

  RedisOptions options_;
  DeliveryListener* listener_;
  RedisContextPtr ctx_;
  std::deque<Pending> pending_;  // sent, unreported, in order
  size_t written_ = 0;           // leading pending_ entries handed to the current connection
  std::chrono::steady_clock::time_point next_attempt_{};
  int backoff_ms_ = 0;
  std::string outage_cause_;  // non-empty while disconnected after a failure
  std::unordered_map<std::string, StreamPosition> positions_;  // by stream (topic)
  uint64_t refused_as_present_ = 0;  // position ids Redis already had (reported delivered)
};

}  // namespace cdc::sinks
