#include "connector/offset_committer.h"

#include <algorithm>

namespace cdc::connector {

const Clock& Clock::Steady() {
  struct SteadyClock final : Clock {
    TimePoint Now() const override { return std::chrono::steady_clock::now(); }
  };
  static const SteadyClock clock;
  return clock;
}

OffsetCommitter::OffsetCommitter(CommitCadence cadence, const LsnTracker* tracker,
                                 std::function<Status(Lsn)> persist, Lsn start, const Clock& clock)
    : cadence_(cadence),
      tracker_(tracker),
      persist_(std::move(persist)),
      clock_(clock),
      persisted_(start),
      received_(start) {}

Status OffsetCommitter::SendStatus(bool reply_requested) {
  last_status_ = clock_.Now();
  if (source_ == nullptr) return Status::Ok();
  // Never report a flush position we have not persisted, and never one lower than before.
  return source_->SendStatus(std::max(received_, persisted_), persisted_, reply_requested);
}

Status OffsetCommitter::Commit(bool force) {
  const auto now = clock_.Now();
  const Lsn confirmed = tracker_->confirmed();
  if (confirmed > persisted_ &&
      (force || now - last_commit_ >= std::chrono::milliseconds(cadence_.commit_interval_ms))) {
    CDC_RETURN_IF_ERROR(persist_(confirmed));
    persisted_ = confirmed;
    last_commit_ = now;
    return SendStatus(false);
  }
  if (now - last_status_ >= std::chrono::milliseconds(cadence_.status_interval_ms)) {
    return SendStatus(false);
  }
  return Status::Ok();
}

}  // namespace cdc::connector
