#include "connector/snapshot.h"

#include <poll.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <thread>

#include "connector/snapshot_markers.h"
#include "connector/snapshot_parts.h"

// The snapshot's run: the workers, delivery through the Publisher, tables reported done,
// progress. Its other rooms: snapshot_plan.cc, snapshot_worker.cc, snapshot_resume.cc.

namespace cdc::connector {

namespace {

constexpr int kFlushStepMs = 500;

}  // namespace

using snapshot_internal::NowMicros;

Snapshot::Snapshot(SnapshotOptions options, const EventOptions& event_options,
                   const CaptureRules* rules, CatalogReader* catalog, Publisher* publisher,
                   const StopSignal* stop)
    : options_(std::move(options)),
      event_options_(event_options),
      rules_(rules),
      catalog_(catalog),
      publisher_(publisher),
      stop_(stop),
      relations_(event_options, rules, catalog) {}

Snapshot::~Snapshot() {
  // Ended by a stop or a failure with records in flight: their tickets die with us, and nothing
  // is published after an unfinished snapshot (the process ends; the next start resumes it).
  if (publisher_->inflight_events() > 0) publisher_->StopSettling({options_.lsn, true});
}

void Snapshot::Fail(const Status& s) {
  MutexLock lock(&mu_);
  if (error_.ok()) error_ = s;
  cancel_.store(true);
}

Status Snapshot::Send(const ChangeEvent& ev, size_t table) {
  // Bounded memory: wait for acknowledgements while the limits are reached. Whoever waits
  // serves the delivery reports.
  CDC_RETURN_IF_ERROR(publisher_->WaitForRoom([this] { return cancelled(); }));
  return publisher_->Publish(ev, tables_[table]->ticket, [this] {
    if (cancelled()) return Status::Unavailable("snapshot cancelled");
    publisher_->Serve(0);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return Status::Ok();
  });
}

bool Snapshot::NextRange(Range* out) {
  MutexLock lock(&mu_);
  if (next_range_ >= ranges_.size()) return false;
  *out = ranges_[next_range_++];
  Table& t = *tables_[out->table];
  if (t.started_us.load() == 0) t.started_us.store(NowMicros());
  return true;
}

Status Snapshot::ReportTablesDone() {
  for (auto& t : tables_) {
    // rows_done is final once ranges_left is 0 (workers count a range's rows before finishing
    // it); a table is durable when every row it read was acknowledged, held-back rows included.
    if (t->reported_done || t->ranges_left.load() != 0 ||
        t->acked.load() != t->rows_done.load() + t->earlier.load()) {
      continue;
    }
    t->reported_done = true;
    if (options_.on_table_done) CDC_RETURN_IF_ERROR(options_.on_table_done(t->name));
  }
  return Status::Ok();
}

void Snapshot::LogProgress() {
  const int64_t now = NowMicros();
  if (now - last_progress_us_ < int64_t{options_.progress_interval_ms} * 1000) return;
  last_progress_us_ = now;
  const double secs = static_cast<double>(now - started_us_) / 1e6;
  int64_t remaining = 0;
  bool unknown = false;  // a table never analyzed has no row estimate
  for (const auto& t : tables_) {
    const int64_t done = t->rows_done.load();
    if (t->ranges_left.load() > 0) {
      remaining += std::max<int64_t>(t->estimate - done, 0);
      unknown = unknown || t->estimate < 0;
    }
    if (t->started_us.load() == 0 || t->ranges_left.load() == 0) continue;
    if (t->estimate > 0) {
      spdlog::info("snapshot: {} {}/~{} rows ({}%)", t->name, done, t->estimate,
                   std::min<int64_t>(100, done * 100 / t->estimate));
    } else {
      spdlog::info("snapshot: {} {} rows", t->name, done);
    }
  }
  const double rate = secs > 0 ? static_cast<double>(rows_total_.load()) / secs : 0;
  if (unknown) {
    spdlog::info(
        "snapshot: {} rows in {:.0f} s ({:.0f} rows/s), ETA unknown (tables never "
        "analyzed)",
        rows_total_.load(), secs, rate);
  } else {
    spdlog::info("snapshot: {} rows in {:.0f} s ({:.0f} rows/s), ~{} to go, ETA {:.0f} s",
                 rows_total_.load(), secs, rate, remaining,
                 rate > 0 ? static_cast<double>(remaining) / rate : 0.0);
  }
}

std::vector<TableProgress> Snapshot::Progress() const {
  std::vector<TableProgress> out;
  if (!planned_.load()) return out;
  for (const auto& t : tables_) {
    out.push_back(
        TableProgress{t->name, t->rows_done.load(), t->estimate, t->ranges_left.load() == 0});
  }
  return out;
}

Result<bool> Snapshot::Run() {
  started_us_ = NowMicros();
  last_progress_us_ = started_us_;
  CDC_RETURN_IF_ERROR(Plan());
  std::vector<int> ranges_per_table;
  int64_t estimate = 0;
  for (const auto& t : tables_) {
    ranges_per_table.push_back(t->ranges);
    estimate += std::max<int64_t>(t->estimate, 0);  // -1: never analyzed
  }
  markers_ = std::make_unique<SnapshotMarkers>(ranges_per_table);
  planned_.store(true);
  const int workers = static_cast<int>(std::min<size_t>(static_cast<size_t>(options_.parallelism),
                                                        std::max<size_t>(ranges_.size(), 1)));
  spdlog::info("snapshot at {}: {} tables in {} ranges, ~{} rows, {} workers",
               options_.lsn.ToString(), tables_.size(), ranges_.size(), estimate, workers);
  if (!options_.resumed_slot.empty()) {
    Worker earlier(this);
    CDC_RETURN_IF_ERROR(earlier.PublishEarlierDeletes());
  }

  std::vector<std::unique_ptr<Worker>> pool;
  std::vector<std::thread> threads;
  for (int i = 0; i < workers; ++i) {
    pool.push_back(std::make_unique<Worker>(this));
    threads.emplace_back([w = pool.back().get()] { w->Run(); });
  }
  while (workers_done_.load() < workers) {
    publisher_->Serve(0);
    if (Status s = ReportTablesDone(); !s.ok()) Fail(s);
    LogProgress();
    pollfd fds[2];
    nfds_t n = 0;
    if (publisher_->wakeup_fd() >= 0) fds[n++] = pollfd{publisher_->wakeup_fd(), POLLIN, 0};
    if (stop_->fd() >= 0) fds[n++] = pollfd{stop_->fd(), POLLIN, 0};
    poll(fds, n, 50);
  }
  for (auto& th : threads) th.join();
  if (stop_->requested()) return false;
  {
    MutexLock lock(&mu_);
    if (!error_.ok()) return error_;
  }

  Worker last(this);
  if (auto held = markers_->TakeLast()) {
    CDC_RETURN_IF_ERROR(last.EmitRow(held->table, held->row.view(), held->marker));
  }
  // Every record acknowledged before the snapshot counts as done.
  while (publisher_->inflight_events() > 0) {
    (void)publisher_->Drain(kFlushStepMs);  // Unavailable until all is reported: loop
    if (stop_->requested()) return false;
    MutexLock lock(&mu_);
    if (!error_.ok()) return error_;
  }
  {
    MutexLock lock(&mu_);
    if (!error_.ok()) return error_;
  }
  CDC_RETURN_IF_ERROR(ReportTablesDone());
  for (const auto& t : tables_) {
    if (!t->reported_done) {
      return Status::FailedPrecondition("snapshot: " + t->name +
                                        " finished without every row acknowledged");
    }
  }
  const double secs = static_cast<double>(NowMicros() - started_us_) / 1e6;
  spdlog::info("snapshot complete: {} rows from {} tables in {:.3f} s ({:.0f} rows/s)",
               rows_total_.load(), tables_.size(), secs,
               secs > 0 ? static_cast<double>(rows_total_.load()) / secs : 0.0);
  return true;
}

}  // namespace cdc::connector
