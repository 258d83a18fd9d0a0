#include "connector/lsn_tracker.h"

#include "decoders/base/check.h"

namespace cdc::connector {

LsnTracker::Txn* LsnTracker::Begin() {
  txns_.emplace_back(this);
  return &txns_.back();
}

void LsnTracker::Acknowledge(Txn* txn) {
  --txn->outstanding;
  CDC_CHECK(txn->outstanding >= 0);  // a double report would corrupt the offset
  Advance();
}

void LsnTracker::Commit(Txn* txn, Lsn end_lsn) {
  txn->end_lsn = end_lsn;
  txn->committed = true;
  Advance();
}

void LsnTracker::Abandon(Txn* txn) {
  txn->end_lsn = Lsn();  // confirms nothing: Advance keeps the maximum
  txn->commit_unix_us = 0;
  txn->committed = true;
  Advance();
}

void LsnTracker::OnIdle(Lsn wal_end) {
  if (txns_.empty() && wal_end > confirmed_) confirmed_ = wal_end;
}

void LsnTracker::Advance() {
  while (!txns_.empty() && txns_.front().committed && txns_.front().outstanding == 0) {
    const Txn& t = txns_.front();
    if (t.end_lsn > confirmed_) confirmed_ = t.end_lsn;
    if (on_retired_ && t.commit_unix_us != 0) on_retired_(t);
    txns_.pop_front();
  }
}

}  // namespace cdc::connector
