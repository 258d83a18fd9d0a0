#pragma once

// The start-up decision, shared by `run` and `validate`: given the offsets file and the slot,
// does pgcdc take a snapshot (and why), stream from the stored position, or refuse because
// streaming would leave a gap? Pure: reads nothing, changes nothing.

#include <string>

#include "config/config.h"
#include "connector/offset_store.h"
#include "connector/source_setup.h"
#include "decoders/base/status.h"

namespace cdc::connector {

struct StartDecision {
  bool snapshot = false;  // take a snapshot first; else stream from the stored position (or the
                          // slot's when there is no offsets file)
  std::string why;        // for the snapshot: why it is needed now
};

// Decides how to start; an error (one line, with what to do) when neither is safe.
Result<StartDecision> DecideStart(const config::Config& cfg, const std::string& offsets_path,
                                  const Offset* stored, const SlotState& slot);

// Whether an interrupted snapshot can go on where it stopped, keeping the tables it finished (if
// any): its slot is still there, valid, and untouched at the snapshot's consistent point, so the
// stream can still start there and the changes since can still be peeked at.
bool CanResumeSnapshot(const Offset* stored, const SlotState& slot);

// The one message for "the slot is ahead of the offsets file" (run, validate, status, and a slot
// moved while reconnecting): what happened and the two ways out that work in every
// snapshot.mode, namely accept the gap (`pgcdc offsets reset -c FILE --to-slot --yes`) or read
// everything again (snapshot.mode: when_needed). Removing the offsets file is not one of them:
// with the slot still there, snapshot.mode initial then refuses to start.
std::string SlotAheadMessage(const std::string& slot_name, Lsn slot_position,
                             const std::string& offsets_path, Lsn stored);

}  // namespace cdc::connector
