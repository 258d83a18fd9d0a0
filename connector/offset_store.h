#pragma once

// OffsetStore: pgcdc's durable record of the last LSN whose changes the sink acknowledged.
// The file is replaced atomically (write temp, fsync, rename, fsync directory), so a crash leaves
// either the old or the new offset, never a torn one. A file that belongs to another slot or
// another cluster (system identifier) is refused, never overwritten.
//
// Single-threaded: the replication thread owns it.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "connector/stuck_event.h"
#include "decoders/base/lsn.h"
#include "decoders/base/status.h"

namespace cdc::connector {

// The initial snapshot's state as the offsets file records it.
enum class SnapshotState {
  kNone,     // none taken (e.g. snapshot.mode never); the file has no "snapshot" member
  kRunning,  // started, not finished: the next start resumes or redoes it
  kComplete,
};
// "none", "running", "complete": the words of the file (kNone is written as no member at all).
std::string_view SnapshotStateName(SnapshotState s);

struct Offset {
  std::string slot;
  std::string system_id;  // IDENTIFY_SYSTEM systemid, decimal
  std::string database;
  uint32_t timeline = 0;
  Lsn lsn;  // everything committing before this LSN has been delivered
  // The initial snapshot; `snapshot_lsn` is its consistent point.
  SnapshotState snapshot = SnapshotState::kNone;
  Lsn snapshot_lsn;
  // Tables whose snapshot records were all acknowledged, with the LSN of the snapshot they were
  // read in: `snapshot_lsn` for the first pass, a later one for tables read by a resumed
  // snapshot. While the snapshot runs, a restart resumes with the tables not listed. Once it is
  // complete, only entries past `lsn` are kept: the stream must skip those tables' changes that
  // committed before their read.
  std::map<std::string, Lsn> snapshot_tables;
  // The event the broker refused for good, when pgcdc stopped on one (see StuckEvent). It does
  // not move `lsn`: that stays before the event's transaction, which the next start sends again.
  // Absent in files written before this field existed, and whenever nothing is stuck.
  std::optional<StuckEvent> stuck;
  // Incremental snapshots in progress (incremental_state.h), as JSON text; empty when none.
  std::string incremental_snapshot;
};

class OffsetStore {
 public:
  explicit OffsetStore(std::string path) : path_(std::move(path)) {}

  const std::string& path() const { return path_; }

  // nullopt when the file does not exist. Corruption when it exists but cannot be parsed.
  Result<std::optional<Offset>> Load() const;

  // Atomically replaces the file.
  Status Save(const Offset& offset) const;

  // Sets (or, with nullopt, removes) the stuck-event record of the existing file, keeping every
  // other field. FailedPrecondition when there is no file to record it in.
  Status SaveStuck(const std::optional<StuckEvent>& stuck) const;

  // Whether the file can be replaced: creates and removes a temporary file beside it (the same
  // directory, as Save() does). On failure one line naming the directory and the cause.
  Status CheckWritable() const;

 private:
  std::string path_;
};

}  // namespace cdc::connector
