#include "connector/admin.h"

#include <cctype>
#include <string>
#include <vector>

#include "config/config_words.h"
#include "config/redact.h"
#include "connector/capture_rules.h"
#include "connector/instance_lock.h"
#include "connector/offset_store.h"
#include "connector/pg_connection.h"
#include "connector/registry_subjects.h"
#include "connector/replica_identity.h"
#include "connector/snapshot.h"
#include "connector/source_setup.h"
#include "connector/start_decision.h"

namespace cdc::connector {

namespace {

struct Server {
  PgConnPtr sql;
  SlotState slot;
  Lsn wal_end;
  std::string system_id;
};

Result<Server> Inspect(const config::Config& cfg) {
  Server s;
  auto sql = Connect(cfg.source.dsn, ConnKind::kSql);
  if (!sql.ok()) return sql.status();
  s.sql = std::move(*sql);
  auto slot = ReadSlot(s.sql.get(), cfg.source.slot);
  if (!slot.ok()) return slot.status();
  s.slot = *slot;
  auto pos = Exec(s.sql.get(),
                  "SELECT pg_current_wal_lsn()::text, system_identifier::text FROM "
                  "pg_control_system()");
  if (!pos.ok()) return pos.status();
  auto lsn = Lsn::Parse(PQgetvalue(pos->get(), 0, 0));
  if (!lsn.ok()) return lsn.status();
  s.wal_end = *lsn;
  s.system_id = PQgetvalue(pos->get(), 0, 1);
  return s;
}

// The offsets file and the server, as the admin commands see them.
struct State {
  std::string offsets_path;
  std::optional<Offset> stored;
  Server server;
};

Result<State> LoadState(const config::Config& cfg) {
  State st;
  OffsetStore store(cfg.offsets.file);
  st.offsets_path = store.path();
  auto stored = store.Load();
  if (!stored.ok()) return stored.status();
  st.stored = *stored;
  auto server = Inspect(cfg);
  if (!server.ok()) return server.status();
  st.server = std::move(*server);
  return st;
}

void PrintOffset(const OffsetStore& store, const std::optional<Offset>& o, std::ostream& out) {
  out << "offsets file: " << store.path();
  if (!o) {
    out << " (none: the next start begins per snapshot.mode)\n";
    return;
  }
  out << "\n  slot: " << o->slot << "\n  system: " << o->system_id
      << "\n  database: " << o->database << "\n  timeline: " << o->timeline
      << "\n  lsn: " << o->lsn.ToString() << "\n  snapshot: " << SnapshotStateName(o->snapshot);
  if (o->snapshot != SnapshotState::kNone) out << " at " << o->snapshot_lsn.ToString();
  if (!o->snapshot_tables.empty()) {
    out << (o->snapshot == SnapshotState::kRunning
                ? "\n  tables read (a restart resumes with the others):"
                : "\n  tables read by a resumed snapshot:");
    for (const auto& [table, lsn] : o->snapshot_tables) {
      out << "\n    " << table << " as of " << lsn.ToString();
    }
  }
  out << "\n";
}

void PrintStuck(const std::optional<StuckEvent>& stuck, std::ostream& out) {
  if (!stuck) {
    out << "stuck event: none\n";
    return;
  }
  out << "stuck event: " << DescribeStuck(*stuck) << " (refused " << stuck->at
      << "; pgcdc stops on it at every start)\n  ways out: " << StuckWaysOut(*stuck) << "\n";
}

Status RefuseIfActive(const config::Config& cfg, const SlotState& slot) {
  if (!slot.active) return Status::Ok();
  return Status::FailedPrecondition("slot '" + cfg.source.slot + "' is active (walsender PID " +
                                    std::to_string(slot.active_pid) +
                                    "): stop the pgcdc that streams from it first");
}

}  // namespace

// Each section is read and printed on its own, so that whatever can still be read is shown
// when another part cannot be (the server is down, the offsets file is damaged): the operator
// needs the stuck event and the stored position most exactly then.
Status ShowStatus(const config::Config& cfg, std::ostream& out) {
  std::vector<std::string> unreadable;
  OffsetStore store(cfg.offsets.file);
  out << "configuration: name " << cfg.name << ", slot " << cfg.source.slot << ", publication "
      << cfg.source.publication << ", sink " << config::WordOf(cfg.sink.type) << "\n";

  auto server = Inspect(cfg);
  if (!server.ok()) {
    // Down or unreachable, or reachable but refusing what status reads (privileges).
    const std::string how =
        server.status().code() == Status::Code::kUnavailable ? "unreachable" : "unreadable";
    unreadable.push_back("server " + how);
    std::string mark = how;
    for (char& ch : mark) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    out << "server: " << mark << " (" << server.status().message() << ")\n"
        << "slot " << cfg.source.slot << ": UNKNOWN (server " << how << ")\n"
        << "publication " << cfg.source.publication << ": UNKNOWN (server " << how << ")\n";
  } else {
    const SlotState& slot = server->slot;
    out << "server: " << Describe(server->sql.get()) << ", system " << server->system_id
        << ", WAL at " << server->wal_end.ToString() << "\n";
    out << "slot " << cfg.source.slot << ": ";
    if (!slot.exists) {
      out << "missing\n";
    } else {
      const Lsn confirmed = slot.confirmed_flush.value_or(Lsn());
      out << (slot.active ? "active (walsender PID " + std::to_string(slot.active_pid) + ")"
                          : std::string("inactive"))
          << "\n  confirmed_flush_lsn: " << confirmed.ToString()
          << "\n  wal_status: " << WalStatusName(slot.wal_status) << "\n  lag_bytes: "
          << (server->wal_end > confirmed ? server->wal_end.value - confirmed.value : 0) << "\n";
    }
    PGconn* c = server->sql.get();
    out << "publication " << cfg.source.publication << ": ";
    auto view = ReadPublication(c, cfg.source.publication);
    auto wanted = ResolveCaptureSet(c, PublishedPatterns(cfg));
    if (!view.ok() || !wanted.ok()) {
      unreadable.push_back("publication unreadable");
      out << "UNREADABLE (" << (view.ok() ? wanted.status().message() : view.status().message())
          << ")\n";
    } else if (!view->exists) {
      out << "missing\n";
    } else {
      // The tables it publishes (partitions under their own names when not via the root).
      auto count = Exec(c, "SELECT count(*) FROM pg_publication_tables WHERE pubname = " +
                               QuoteLiteral(c, cfg.source.publication));
      out << (count.ok() ? std::string(PQgetvalue(count->get(), 0, 0)) : std::string("?"))
          << " tables (" << (view->all_tables ? "FOR ALL TABLES" : "FOR TABLE")
          << (view->via_root
                  ? (*view->via_root ? ", publish_via_partition_root" : ", partitions as leaves")
                  : "")
          << ")\n";
      const PublicationDrift drift = CompareToPublication(*wanted, *view, cfg.source.partitions,
                                                          cfg.source.create_publication);
      // Drift of a managed publication is corrected by the running pgcdc within
      // source.reconcile_interval_ms; an admin's is only reported.
      const std::string how = cfg.source.create_publication
                                  ? "  pending (pgcdc reconciles it): "
                                  : "  drift (create_publication: false, not changed): ";
      for (const auto& t : drift.missing) {
        out << how << t.Display() << " matches source.tables but is not in the publication"
            << (cfg.source.create_publication ? "" : ": its changes are NOT captured") << "\n";
      }
      for (const auto& t : drift.extra) {
        out << how << t.Display() << " is in the publication but source.tables does not match it"
            << "\n";
      }
      if (drift.via_root_wrong) {
        out << how << "publish_via_partition_root disagrees with source.partitions "
            << (drift.want_via_root ? "root" : "leaves") << "\n";
      }
      // Tables without a usable replica identity (replica_identity.h): kept out of a managed
      // publication, or published with the application's writes failing.
      for (const auto& [t, gap] : drift.left_out) {
        const bool in_it = view->named.count(t) > 0;
        out << "  left out (no usable replica identity): " << t.Display() << ": " << gap.why
            << (in_it ? " (still in the publication: pgcdc drops it)" : "")
            << ", its changes are NOT captured (" << IdentityFix(gap) << ")\n";
      }
      for (const auto& [t, gap] : drift.writes_fail) {
        out << "  WRITES FAIL: " << t.Display() << " is published without a usable replica "
            << "identity (" << gap.why << "): the application's UPDATE and DELETE on it fail ("
            << IdentityFix(gap) << ")\n";
      }
    }
    if (cfg.format.type != config::FormatType::kJson && wanted.ok() &&
        !PrintSubjects(cfg, wanted->tables, out)) {
      unreadable.push_back("schema registry unreadable");
    }
  }

  auto stored = store.Load();
  if (!stored.ok()) {
    unreadable.push_back("offsets file unreadable");
    out << "offsets file: " << store.path() << " UNREADABLE (" << stored.status().message() << ")\n"
        << "stuck event: UNKNOWN (offsets file unreadable)\n";
  } else {
    PrintOffset(store, *stored, out);
    PrintStuck(*stored ? (*stored)->stuck : std::nullopt, out);
  }

  if (server.ok() && stored.ok() && *stored && server->slot.exists &&
      (*stored)->lsn < server->slot.confirmed_flush.value_or(Lsn())) {
    out << "warning: "
        << SlotAheadMessage(cfg.source.slot, server->slot.confirmed_flush.value_or(Lsn()),
                            store.path(), (*stored)->lsn)
        << "\n";
  }
  if (unreadable.empty()) return Status::Ok();
  std::string what;
  for (const auto& u : unreadable) what += (what.empty() ? "" : ", ") + u;
  return Status::Unavailable("status incomplete: " + what + " (see above)");
}

Status ShowOffsets(const config::Config& cfg, std::ostream& out) {
  OffsetStore store(cfg.offsets.file);
  auto stored = store.Load();
  if (!stored.ok()) return stored.status();
  PrintOffset(store, *stored, out);
  return Status::Ok();
}

Status ResetOffsets(const config::Config& cfg, const OffsetsReset& reset, std::ostream& out) {
  if (reset.to_lsn.has_value() == reset.to_slot) {
    return Status::InvalidArgument("offsets reset needs exactly one of --to-lsn LSN or --to-slot");
  }
  auto state = LoadState(cfg);
  if (!state.ok()) return state.status();
  OffsetStore store(state->offsets_path);
  const std::optional<Offset>& stored = state->stored;
  Server& server = state->server;
  const SlotState& slot = server.slot;
  if (!slot.exists) {
    return Status::FailedPrecondition("slot '" + cfg.source.slot +
                                      "' does not exist: there is no position to reset to; "
                                      "remove the offsets file to start over with a snapshot");
  }
  CDC_RETURN_IF_ERROR(RefuseIfActive(cfg, slot));
  // Also a pgcdc that holds the slot but is not streaming (starting, snapshotting, reconnecting);
  // held until this command's connection closes, so none can start meanwhile.
  CDC_RETURN_IF_ERROR(TryLockSlot(server.sql.get(), cfg.source.slot));
  if (stored && (stored->slot != cfg.source.slot || stored->system_id != server.system_id)) {
    return Status::FailedPrecondition("offsets file " + store.path() +
                                      " belongs to another slot or cluster; refusing to change it");
  }
  const Lsn slot_lsn = slot.confirmed_flush.value_or(Lsn());
  const Lsn target = reset.to_slot ? slot_lsn : *reset.to_lsn;
  if (target < slot_lsn) {
    return Status::InvalidArgument("cannot reset to " + target.ToString() + ": slot '" +
                                   cfg.source.slot + "' is at " + slot_lsn.ToString() +
                                   " and a logical slot cannot go back");
  }
  if (target > server.wal_end) {
    return Status::InvalidArgument("cannot reset to " + target.ToString() +
                                   ": past the server's WAL end " + server.wal_end.ToString());
  }
  Offset o;
  if (stored) {
    o = *stored;
  } else {
    o.slot = cfg.source.slot;
    o.system_id = server.system_id;
    o.database = slot.database;
    auto tl = Exec(server.sql.get(), "SELECT timeline_id FROM pg_control_checkpoint()");
    if (!tl.ok()) return tl.status();
    o.timeline = static_cast<uint32_t>(std::strtoul(PQgetvalue(tl->get(), 0, 0), nullptr, 10));
    o.snapshot =
        SnapshotState::kComplete;  // what the operator asks for: stream from here, no snapshot
    o.snapshot_lsn = target;
  }
  out << "offsets file " << store.path() << ": "
      << (stored ? stored->lsn.ToString() : std::string("(none)")) << " -> " << target.ToString()
      << "\n";
  if (stored && stored->lsn > target) {
    out << "changes between " << target.ToString() << " and " << stored->lsn.ToString()
        << " will be published again\n";
  } else {
    out << "transactions committing before " << target.ToString() << " will not be published\n";
  }
  // Skipping past the stuck event's transaction skips the event: say so, and forget it.
  const bool skips_stuck = o.stuck && !o.stuck->in_snapshot && target > o.stuck->lsn;
  if (skips_stuck) {
    out << "the stuck event (" << DescribeStuck(*o.stuck) << ") will not be published\n";
  }
  if (!reset.confirmed) {
    return Status::InvalidArgument("nothing changed: re-run with --yes to apply");
  }
  o.lsn = target;
  if (skips_stuck) o.stuck.reset();
  CDC_RETURN_IF_ERROR(store.Save(o));
  out << "done\n";
  return Status::Ok();
}

Status DropSlotCommand(const config::Config& cfg, bool confirmed, std::ostream& out) {
  auto server = Inspect(cfg);
  if (!server.ok()) return server.status();
  if (!server->slot.exists) {
    return Status::FailedPrecondition("slot '" + cfg.source.slot + "' does not exist");
  }
  CDC_RETURN_IF_ERROR(RefuseIfActive(cfg, server->slot));
  CDC_RETURN_IF_ERROR(TryLockSlot(server->sql.get(), cfg.source.slot));  // as in ResetOffsets
  out << "slot " << cfg.source.slot << " at "
      << server->slot.confirmed_flush.value_or(Lsn()).ToString()
      << " will be dropped; changes not yet streamed are lost, and the offsets file "
      << cfg.offsets.file << " must then be removed (or snapshot.mode when_needed used)\n";
  if (!confirmed) return Status::InvalidArgument("nothing changed: re-run with --yes to apply");
  auto res = Exec(server->sql.get(), "SELECT pg_drop_replication_slot(" +
                                         QuoteLiteral(server->sql.get(), cfg.source.slot) + ")");
  if (!res.ok()) return res.status();
  out << "dropped\n";
  return Status::Ok();
}

}  // namespace cdc::connector
