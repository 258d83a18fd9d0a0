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
// A transaction record is the DeliveryTicket of its events: the Publisher counts each one sent
// (Sent) and settles its report (Settle), a success acknowledging it here. Pointers returned by
// Begin() stay valid until the transaction is retired (confirmed), which cannot happen while it
// has outstanding events, so they outlive their reports.
// Single-threaded: called by the replication thread only.

#include <cstdint>
#include <deque>
#include <functional>

#include "connector/delivery_ticket.h"
#include "decoders/base/lsn.h"

namespace cdc::connector {

class LsnTracker {
 public:
  struct Txn final : DeliveryTicket {
    explicit Txn(LsnTracker* owner) : tracker(owner) {}
    void Sent() override { ++outstanding; }
    // A failure is never acknowledged: the transaction stays outstanding and freezes the LSN.
    void Settle(const Status& status) override {
      if (status.ok()) tracker->Acknowledge(this);
    }
    // The Begin message's commit LSN when known, else the Commit end LSN (a standalone record).
    TicketOrigin Origin() const override {
      if (final_lsn.valid()) return {final_lsn, false};
      if (end_lsn.valid()) return {end_lsn, false};
      return {};
    }

    LsnTracker* tracker;
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
  bool idle() const { return txns_.empty(); }

 private:
  void Advance();

  std::function<void(const Txn&)> on_retired_;
  std::deque<Txn> txns_;
  Lsn confirmed_;
};

}  // namespace cdc::connector
