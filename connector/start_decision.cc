#include "connector/start_decision.h"

#include "config/config_words.h"

namespace cdc::connector {

bool CanResumeSnapshot(const Offset* o, const SlotState& slot) {
  return o != nullptr && o->snapshot == SnapshotState::kRunning && o->snapshot_lsn.value != 0 &&
         slot.exists && slot.wal_status != WalStatus::kLost &&
         slot.confirmed_flush == o->snapshot_lsn;
}

std::string SlotAheadMessage(const std::string& slot_name, Lsn slot_position,
                             const std::string& offsets_path, Lsn stored) {
  return "slot '" + slot_name + "' is at " + slot_position.ToString() +
         ", ahead of the offsets file " + offsets_path + " (" + stored.ToString() +
         "): another consumer confirmed the changes in between, so they are not on the topics. "
         "Stop that consumer, then either accept the gap with `pgcdc offsets reset -c FILE "
         "--to-slot --yes`, or read everything again with snapshot.mode: when_needed (a new "
         "snapshot)";
}

Result<StartDecision> DecideStart(const config::Config& cfg, const std::string& offsets_path,
                                  const Offset* o, const SlotState& slot) {
  const config::SnapshotMode mode = cfg.snapshot.mode;
  const std::string& name = cfg.source.slot;
  const bool unfinished = o && o->snapshot == SnapshotState::kRunning;
  const bool lost = slot.exists && slot.wal_status == WalStatus::kLost;
  const Lsn slot_position = slot.confirmed_flush.value_or(Lsn());
  const bool slot_ahead = o && slot.exists && o->lsn < slot_position;

  if (mode == config::SnapshotMode::kNever) {
    if (unfinished) {
      return Status::FailedPrecondition(
          "the snapshot recorded in " + offsets_path +
          " did not complete, so streaming now would leave tables incomplete; run with "
          "snapshot.mode initial to finish it (or remove the offsets file to accept that)");
    }
  } else if (!o && slot.exists) {
    // pgcdc drops and re-creates only slots its offsets file proves it owns.
    return Status::FailedPrecondition(
        "slot '" + name + "' exists but " + offsets_path +
        " does not: a snapshot consistent with the stream needs a new slot; drop the slot to "
        "start over with a snapshot, or set snapshot.mode: never to stream from its position");
  } else if (!o) {
    return StartDecision{
        true, "no offsets yet (snapshot.mode " + std::string(config::WordOf(mode)) + ")"};
  } else if (unfinished) {
    if (CanResumeSnapshot(o, slot)) {
      return StartDecision{true, "the previous snapshot did not complete: resuming it (" +
                                     std::to_string(o->snapshot_tables.size()) +
                                     " tables already read)"};
    }
    return StartDecision{true, "the previous snapshot did not complete: taking it again"};
  } else if (mode == config::SnapshotMode::kAlways) {
    return StartDecision{true, "snapshot.mode always"};
  } else if (mode == config::SnapshotMode::kWhenNeeded) {
    if (!slot.exists) {
      return StartDecision{true, "slot '" + name + "' is missing (snapshot.mode when_needed)"};
    }
    if (lost) {
      return StartDecision{true, "slot '" + name + "' is invalidated (snapshot.mode when_needed)"};
    }
    if (slot_ahead) {
      return StartDecision{
          true, "slot '" + name + "' is ahead of the offsets (snapshot.mode when_needed)"};
    }
  }

  // Streaming from the stored position: it must still be there.
  if (o && !slot.exists) {
    return Status::FailedPrecondition(
        "slot '" + name + "' does not exist, but " + offsets_path + " records position " +
        o->lsn.ToString() +
        ": the slot was dropped and changes since then are lost; set snapshot.mode: when_needed "
        "to take a new snapshot, or remove the offsets file to start over");
  }
  if (lost) {
    return Status::FailedPrecondition(
        "postgres: slot '" + name +
        "' is invalidated (wal_status = lost): changes were lost; set snapshot.mode: "
        "when_needed to take a new snapshot, or drop the slot and the offsets file");
  }
  if (slot_ahead) {
    // pgcdc persists its offset before it reports a flush position, so a slot ahead of the file
    // means someone else consumed or advanced it: those changes never reached our topics.
    return Status::FailedPrecondition(SlotAheadMessage(name, slot_position, offsets_path, o->lsn));
  }
  return StartDecision{};
}

}  // namespace cdc::connector
