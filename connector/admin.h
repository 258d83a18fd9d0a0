#pragma once

// The operator's subcommands besides `run`: what a stopped (or running) connector's slot and
// offsets look like, and the two repairs an operator may need, each behind a confirmation.
//
//   validate        server settings, privileges, slot, publication, offsets (readable, and
//                   writable: a temp file is created beside it), stuck event, sink reachability
//   status          configuration, server and slot (active, confirmed LSN, WAL status, lag in
//                   bytes), publication, offsets file (position, snapshot state), stuck event;
//                   each read on its own, so one that cannot be read does not hide the others
//   offsets show    the offsets file as pgcdc reads it
//   offsets reset   move the stored position forward: --to-lsn LSN, or --to-slot (accept what
//                   another consumer confirmed). Never backwards: a logical slot cannot rewind.
//   slot drop       drop the replication slot (releases its WAL)
//
// Each prints to `out` and returns an error for the caller to print on one line. Changes are
// refused while the slot is active (a running pgcdc owns it). Called from main's thread.

#include <optional>
#include <ostream>

#include "config/config.h"
#include "decoders/base/lsn.h"
#include "decoders/base/status.h"

namespace cdc::connector {

// `validate` against the live server and sink: one finding per line ("ok", "FAIL", "note"),
// every check that can still run after a failure. Returns the first failure. Creates nothing.
Status ValidateServer(const config::Config& cfg, std::ostream& out);

// Prints every section it can read and marks the others UNREACHABLE / UNREADABLE with their
// cause; then returns Unavailable naming what could not be read (exit 1), else OK. A stuck
// event is shown, not an error. Never prints the DSN or a password.
Status ShowStatus(const config::Config& cfg, std::ostream& out);
Status ShowOffsets(const config::Config& cfg, std::ostream& out);

struct OffsetsReset {
  std::optional<Lsn> to_lsn;
  bool to_slot = false;
  bool confirmed = false;  // --yes: apply; otherwise only say what would change
};
Status ResetOffsets(const config::Config& cfg, const OffsetsReset& reset, std::ostream& out);

Status DropSlotCommand(const config::Config& cfg, bool confirmed, std::ostream& out);

}  // namespace cdc::connector
