#include "connector/runner.h"

// The Runner's start-up room: checks, offsets ownership, the start decision, publication and
// slot (Prepare), and the snapshot with its offsets bookkeeping (TakeSnapshot).

#include <spdlog/spdlog.h>

#include "connector/counting_sink.h"
#include "connector/options.h"
#include "connector/sink_factory.h"
#include "connector/stop_signal.h"

namespace cdc::connector {

Offset Runner::OffsetAt(Lsn lsn) const {
  Offset o{cfg_.source.slot,
           identity_.system_id,
           identity_.database,
           identity_.timeline,
           lsn,
           snapshot_state_,
           snapshot_lsn_,
           {},
           stuck_,
           incremental_ ? incremental_->DurableJson() : incremental_json_};
  for (const auto& [table, read_lsn] : snapshot_tables_) {
    // Once complete, a table's entry matters only until the stream passes its read.
    if (snapshot_state_ == SnapshotState::kRunning || read_lsn > lsn) {
      o.snapshot_tables[table] = read_lsn;
    }
  }
  return o;
}

Status Runner::Prepare() {
  auto sql = Connect(cfg_.source.dsn, ConnKind::kSql);
  if (!sql.ok()) return sql.status();
  // Also the connection that exports the snapshot: it must stay open and idle until the
  // snapshot is read, so it lives as long as this function.
  auto repl = Connect(cfg_.source.dsn, ConnKind::kReplication);
  if (!repl.ok()) return repl.status();
  spdlog::info("connected to {}", Describe(sql->get()));

  auto facts = InspectSource(sql->get(), repl->get(), cfg_);
  if (!facts.ok()) return facts.status();
  identity_ = facts->identity;
  server_version_ = facts->server_version;
  event_options_.database = identity_.database;

  auto stored = offsets_.Load();
  if (!stored.ok()) return stored.status();
  const Offset* o = *stored ? &**stored : nullptr;
  if (o && (o->slot != cfg_.source.slot || o->system_id != identity_.system_id)) {
    return Status::FailedPrecondition(
        "offsets file " + offsets_.path() + " belongs to slot '" + o->slot + "' on system " +
        o->system_id + ", not slot '" + cfg_.source.slot + "' on system " + identity_.system_id +
        "; refusing to use or overwrite it (point offsets.file elsewhere)");
  }
  if (o && o->timeline != identity_.timeline) {
    spdlog::warn(
        "postgres: timeline is {} but the offsets file was written on timeline {} (the "
        "server was promoted since)",
        identity_.timeline, o->timeline);
  }
  if (o) {
    snapshot_state_ = o->snapshot;
    snapshot_lsn_ = o->snapshot_lsn;
    snapshot_tables_ = o->snapshot_tables;
    stuck_ = o->stuck;
    incremental_json_ = o->incremental_snapshot;
    if (stuck_) {
      spdlog::warn("the previous run stopped on an event the broker refused: {}; sending it again",
                   DescribeStuck(*stuck_));
    }
  }

  auto decision = DecideStart(cfg_, offsets_.path(), o, facts->slot);
  if (!decision.ok()) return decision.status();
  const bool snapshot = decision->snapshot;
  if (!snapshot && cfg_.snapshot.mode == config::SnapshotMode::kInitialOnly) {
    spdlog::info("snapshot.mode initial_only: the snapshot was already taken ({}); nothing to do",
                 offsets_.path());
    finished_ = true;
    return Status::Ok();
  }

  // The sink is checked before anything is created on the server.
  publisher_ = std::make_unique<Publisher>(
      InflightLimits{cfg_.limits.max_inflight_events, cfg_.limits.max_inflight_bytes}, &metrics_,
      [this](const TicketOrigin& origin, const sinks::DeliveryListener::Refusal& r) {
        OnRefusal(origin, r);
      });
  auto sink = MakeSink(cfg_.sink, publisher_.get());
  if (!sink.ok()) return sink.status();
  sinks::EventSink* made = sink->get();  // owned by the publisher from here on
  publisher_->Attach(std::make_unique<CountingSink>(std::move(*sink), &metrics_));
  CDC_RETURN_IF_ERROR(publisher_->sink().CheckReachable(15000));
  auto destinations = CheckDestinations(cfg_, facts->capture, *made, /*may_create=*/true);
  if (!destinations.ok()) return destinations.status();
  if (!destinations->empty()) spdlog::info("{}", *destinations);

  // Everything checked: now create what is missing (publication first: pgoutput.md §6.8).
  std::vector<std::string> joined;  // tables that joined the capture set since the last run
  CDC_RETURN_IF_ERROR(EnsurePublication(sql->get(), cfg_, *facts, snapshot, &joined, &metrics_));
  WarnAboutToast(sql->get(), cfg_.source.publication, cfg_.source.tables);
  rules_ = std::make_unique<CaptureRules>(CaptureOptionsFor(cfg_));
  catalog_ = std::make_unique<CatalogReader>(cfg_.source.dsn);

  if (snapshot) {
    CDC_RETURN_IF_ERROR(CheckSnapshotPrivileges(sql->get(), cfg_.source.publication, *rules_));
    spdlog::info("taking a snapshot: {}", decision->why);
    auto taken = TakeSnapshot(repl->get(), facts->slot, o);
    if (!taken.ok()) return taken.status();
    if (!*taken) {
      spdlog::info("stopped during the snapshot; the next start resumes it ({} tables read)",
                   snapshot_tables_.size());
      finished_ = true;
      return Status::Ok();
    }
    if (cfg_.snapshot.mode == config::SnapshotMode::kInitialOnly) {
      spdlog::info(
          "snapshot.mode initial_only: done. Slot {} keeps WAL from {} until pgcdc "
          "streams from it (snapshot.mode initial) or it is dropped",
          cfg_.source.slot, snapshot_lsn_.ToString());
      finished_ = true;
      return Status::Ok();
    }
    start_lsn_ = snapshot_lsn_;
  } else {
    if (!facts->slot.exists) {
      auto created = CreateSlot(repl->get(), cfg_.source.slot, server_version_, false);
      if (!created.ok()) return created.status();
      start_lsn_ = created->consistent_point;
    } else {
      start_lsn_ = facts->slot.confirmed_flush.value_or(Lsn());
    }
    // Ahead of the slot is normal: the server may lose its last confirmation in a crash
    // (pgoutput.md §4.5); transactions before our offset are skipped.
    if (o) start_lsn_ = o->lsn;
  }
  repl->reset();

  tracker_ = std::make_unique<LsnTracker>(start_lsn_);
  // Persist, then report; a refused event's record goes once the stream passes it.
  committer_ = std::make_unique<OffsetCommitter>(
      CommitCadence{cfg_.offsets.commit_interval_ms, cfg_.source.status_interval_ms},
      tracker_.get(),
      [this](Lsn confirmed) {
        if (stuck_ && !stuck_->in_snapshot && confirmed > stuck_->lsn) ClearStuck();
        if (incremental_) incremental_->Confirm(confirmed);
        return offsets_.Save(OffsetAt(confirmed));
      },
      start_lsn_);
  tracker_->set_on_retired([this](const LsnTracker::Txn& t) {
    const int64_t now_us = UnixMillis() * 1000;
    metrics_.ObserveCommitToAck(static_cast<double>(now_us - t.commit_unix_us) / 1e6);
    metrics_.last_commit_unix_ms.store(t.commit_unix_us / 1000);
  });
  CDC_RETURN_IF_ERROR(offsets_.Save(OffsetAt(start_lsn_)));

  // While the sink's queue is full: serve reports, and keep confirming and reporting status so
  // wal_sender_timeout never fires.
  auto while_full = [this] {
    publisher_->Serve(100);
    return committer_->Commit(false);
  };
  processor_ = std::make_unique<ChangeProcessor>(event_options_, ProcessorOptionsFrom(cfg_),
                                                 rules_.get(), catalog_.get(), tracker_.get(),
                                                 publisher_.get(), std::move(while_full));
  std::map<std::string, Lsn> read_later;  // tables a resumed snapshot read after start_lsn_
  for (const auto& [table, read_lsn] : snapshot_tables_) {
    if (read_lsn > start_lsn_) read_later[table] = read_lsn;
  }
  if (!read_later.empty()) {
    spdlog::info(
        "{} tables were read by a resumed snapshot: their changes committed before "
        "their read are skipped",
        read_later.size());
  }
  processor_->SetSnapshotReads(std::move(read_later));
  CDC_RETURN_IF_ERROR(StartIncremental(joined));
  spdlog::info("slot {} publication {} on system {} timeline {}: resuming at {}", cfg_.source.slot,
               cfg_.source.publication, identity_.system_id, identity_.timeline,
               start_lsn_.ToString());
  return Status::Ok();
}

Status Runner::StartIncremental(const std::vector<std::string>& joined) {
  auto restored = ParseIncrementalState(incremental_json_);
  if (!restored.ok()) {
    return restored.status().WithContext("offsets file " + offsets_.path());
  }
  if (server_version_ < 140000) {
    // pgoutput sends logical decoding messages, hence watermarks, from 14 on.
    if (!restored->empty() || !joined.empty() || !cfg_.signals.table.empty()) {
      spdlog::warn(
          "incremental snapshots need PostgreSQL 14 or later (this server is {}): signals and "
          "tables that joined the capture set are not snapshotted",
          server_version_);
    }
    return Status::Ok();
  }
  IncrementalOptions opts;
  opts.dsn = cfg_.source.dsn;
  opts.publication = cfg_.source.publication;
  opts.include_patterns = cfg_.source.tables;
  opts.signals_table = cfg_.signals.table;
  opts.chunk_size = cfg_.snapshot.chunk_size;
  opts.progress_interval_ms = cfg_.snapshot.progress_interval_ms;
  incremental_ =
      std::make_unique<IncrementalSnapshot>(std::move(opts), event_options_, rules_.get(),
                                            catalog_.get(), &metrics_, std::move(*restored));
  incremental_->AddTables(joined);
  processor_->SetIncremental(incremental_.get());
  return Status::Ok();
}

Result<bool> Runner::TakeSnapshot(PGconn* repl, const SlotState& slot, const Offset* stored) {
  std::optional<CreatedSlot> created;
  if (CanResumeSnapshot(stored, slot)) {
    // The slot still starts at the interrupted snapshot's consistent point, and the tables in
    // snapshot_tables_ were read and delivered in full. The others are read in the snapshot of
    // a temporary slot: it sees exactly the transactions committed before its consistent point,
    // so the stream skips those tables' changes before it (ChangeProcessor::SetSnapshotReads).
    // The temporary slot goes when `repl` closes.
    // Named after the slot (unique on the server), within the 63 characters a name may have.
    auto temp = CreateSlot(repl, cfg_.source.slot.substr(0, 56) + "_resume", server_version_,
                           /*export_snapshot=*/true, /*temporary=*/true);
    if (temp.ok()) {
      created = std::move(*temp);
      spdlog::info(
          "resuming the interrupted snapshot of slot {} at {}: {} tables already read; "
          "the others are read as of {}",
          cfg_.source.slot, snapshot_lsn_.ToString(), snapshot_tables_.size(),
          created->consistent_point.ToString());
    } else {
      spdlog::warn("cannot resume the interrupted snapshot ({}); taking it again",
                   temp.status().message());
    }
  }
  if (!created) {
    // Recorded before the slot changes: a crash from here on finds "running" and starts over.
    snapshot_state_ = SnapshotState::kRunning;
    snapshot_lsn_ = Lsn();
    snapshot_tables_.clear();
    CDC_RETURN_IF_ERROR(offsets_.Save(OffsetAt(stored ? stored->lsn : Lsn())));
    if (slot.exists) CDC_RETURN_IF_ERROR(DropSlot(repl, cfg_.source.slot));
    auto fresh = CreateSlot(repl, cfg_.source.slot, server_version_, /*export_snapshot=*/true);
    if (!fresh.ok()) return fresh.status();
    created = std::move(*fresh);
    snapshot_lsn_ = created->consistent_point;
    CDC_RETURN_IF_ERROR(offsets_.Save(OffsetAt(snapshot_lsn_)));
  }
  const Lsn read_lsn = created->consistent_point;

  SnapshotOptions opts;
  opts.dsn = cfg_.source.dsn;
  opts.publication = cfg_.source.publication;
  opts.snapshot_name = created->snapshot_name;
  opts.lsn = read_lsn;
  for (const auto& [table, lsn] : snapshot_tables_) opts.done_tables.insert(table);
  if (read_lsn != snapshot_lsn_) opts.resumed_slot = cfg_.source.slot;
  opts.on_table_done = [this, read_lsn](const std::string& table) {
    snapshot_tables_[table] = read_lsn;
    return offsets_.Save(OffsetAt(snapshot_lsn_));
  };
  opts.parallelism = cfg_.snapshot.parallelism;
  opts.chunk_pages = cfg_.snapshot.chunk_pages;
  opts.progress_interval_ms = cfg_.snapshot.progress_interval_ms;
  opts.value_transfer = cfg_.source.value_transfer;
  Snapshot snap(std::move(opts), event_options_, rules_.get(), catalog_.get(), publisher_.get(),
                &StopSignal::Process());
  metrics_.state.store(static_cast<int>(RunState::kSnapshotting));
  metrics_.SetSnapshotSource([&snap] { return snap.Progress(); });
  auto done = snap.Run();
  metrics_.SetSnapshotSource(nullptr);
  if (!done.ok() || !*done) return done;
  snapshot_state_ = SnapshotState::kComplete;
  // Every record of the snapshot was acknowledged, the one refused in an earlier one included.
  if (stuck_ && stuck_->in_snapshot) ClearStuck();
  CDC_RETURN_IF_ERROR(offsets_.Save(OffsetAt(snapshot_lsn_)));
  return true;
}

}  // namespace cdc::connector
