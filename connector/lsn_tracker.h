#pragma once

// LsnTracker: the one owner of "how far is pgcdc done". It records each transaction in commit
// order with the number of its events not yet acknowledged by the sink, and advances the
// confirmed LSN to a transaction's Commit end_lsn only when that transaction and every earlier
// one are fully acknowledged (pgoutput.md §4.1). With nothing outstanding, a keepalive's walEnd
// may be confirmed so an idle slot does not pin WAL (§4.3).
//
// A failed delivery is not counted as done: the transaction stays outstanding forever, which
// freezes the confirmed LSN; the caller stops the process.
//
// Pointers returned by Begin() stay valid until the transaction is retired (confirmed), which
// cannot happen while it has outstanding events, so they are safe as per-message opaques.
// Single-threaded: called by the replication thread only.

#include <cstdint>
#include <deque>
#include <functional>

#include "decoders/lsn.h"

namespace cdc::connector {

class LsnTracker {
 public:
  struct Txn {
    Lsn end_lsn;
    int64_t outstanding = 0;
    bool committed = false;
    int64_t commit_unix_us = 0;  // the source commit time, 0 when unknown (for latency metrics)
    Lsn final_lsn;  // the Begin message's commit LSN, 0 when unknown (names a refused event)
  };

  explicit LsnTracker(Lsn start) : confirmed_(start) {}

  // Called (on the replication thread) for each transaction as it is retired fully
  // acknowledged, in commit order. Abandoned transactions are not reported.
  void set_on_retired(std::function<void(const Txn&)> fn) { on_retired_ = std::move(fn); }

  // Opens a transaction record at the back. Only one may be open (uncommitted) at a time.
  Txn* Begin();
  void AddEvent(Txn* txn) { ++txn->outstanding; ++inflight_events_; }
  // A successful acknowledgement of one event of `txn`.
  void Acknowledge(Txn* txn);
  // Closes `txn` with its Commit end_lsn.
  void Commit(Txn* txn, Lsn end_lsn);
  // Gives up an open transaction cut off by a lost connection: it will be re-sent whole, so its
  // record must neither confirm anything nor block later ones. It retires when its outstanding
  // events are reported.
  void Abandon(Txn* txn);
  // A keepalive's walEnd while no transaction is open: confirmed when nothing is outstanding.
  void OnIdle(Lsn wal_end);

  Lsn confirmed() const { return confirmed_; }
  int64_t inflight_events() const { return inflight_events_; }
  bool idle() const { return txns_.empty(); }

 private:
  void Advance();

  std::function<void(const Txn&)> on_retired_;
  std::deque<Txn> txns_;
  Lsn confirmed_;
  int64_t inflight_events_ = 0;
};

}  // namespace cdc::connector
