// IncrementalSnapshot's signals (incremental_snapshot.h): Debezium's signal-table rows and
// pgcdc's own 'pgcdc-signal' messages become queue changes (execute-, stop-, pause-,
// resume-snapshot), and tables that join the capture set are queued. Split from
// incremental_snapshot.cc, which runs the chunks and watermarks; the replication thread calls
// both.

#include <spdlog/spdlog.h>

#include "connector/incremental_snapshot.h"
#include "connector/publication_reconciler.h"

namespace cdc::connector {

void IncrementalSnapshot::OnSignalRow(const TableSchema& t, const pgoutput::Tuple& row) {
  std::string id, type, data;
  for (size_t i = 0; i < t.relation.columns.size() && i < row.size(); ++i) {
    const auto& v = row[i];
    if (v.kind != pgoutput::ValueKind::kText && v.kind != pgoutput::ValueKind::kBinary) continue;
    const std::string& col = t.relation.columns[i].name;
    if (col == "id") id = std::string(v.data);
    if (col == "type") type = std::string(v.data);
    if (col == "data") data = std::string(v.data);
  }
  auto s = ParseSignal(id, type, data);
  if (!s.ok()) {
    spdlog::warn("ignoring signal from {}: {}", options_.signals_table, s.status().message());
    return;
  }
  txn_signals_.push_back(std::move(*s));
}

void IncrementalSnapshot::Enqueue(const IncrementalTable& t, const char* why) {
  for (const auto& q : state_.queue) {
    if (q.name == t.name) {
      spdlog::info("incremental snapshot of {} already queued; {} ignored", t.name, why);
      return;
    }
  }
  state_.queue.push_back(t);
  spdlog::info("incremental snapshot of {} queued ({}{}{})", t.name, why,
               t.filter.empty() ? "" : ", where ", t.filter);
}

void IncrementalSnapshot::ApplySignal(const Signal& s) {
  switch (s.type) {
    case Signal::Type::kPauseSnapshot:
      spdlog::info("incremental snapshots paused (signal '{}')", s.id);
      state_.paused = true;
      dirty_ = true;
      return;
    case Signal::Type::kResumeSnapshot:
      spdlog::info("incremental snapshots resumed (signal '{}')", s.id);
      state_.paused = false;
      dirty_ = true;
      return;
    case Signal::Type::kOther:
      spdlog::info("ignoring signal '{}' of type '{}' (not one pgcdc acts on)", s.id, s.type_name);
      return;
    case Signal::Type::kStopSnapshot: {
      const size_t before = state_.queue.size();
      for (size_t i = state_.queue.size(); i-- > 0;) {
        bool match = s.collections.empty();
        for (const auto& p : s.collections)
          match = match || CollectionMatches(p, state_.queue[i].name);
        if (!match) continue;
        spdlog::info("incremental snapshot of {} stopped (signal '{}')", state_.queue[i].name,
                     s.id);
        if (i == 0) {
          state_.PopFront();
          DropWindow();
        } else {
          state_.queue.erase(state_.queue.begin() + static_cast<std::ptrdiff_t>(i));
        }
      }
      if (state_.queue.size() == before) {
        spdlog::info("stop-snapshot signal '{}': no incremental snapshot to stop", s.id);
      }
      dirty_ = true;
      return;
    }
    case Signal::Type::kExecuteSnapshot: break;
  }
  // The tables the include list captures, by their catalog names.
  if (Status c = Connected(); !c.ok()) {
    spdlog::error("execute-snapshot signal '{}' not executed: {}", s.id, c.message());
    return;
  }
  auto captured = ResolveCaptureSet(conn_.get(), options_.include_patterns);
  if (!captured.ok()) {
    spdlog::error("execute-snapshot signal '{}' not executed: {}", s.id,
                  captured.status().message());
    conn_.reset();
    return;
  }
  for (const auto& pattern : s.collections) {
    bool any = false;
    for (const auto& t : captured->tables) {
      const std::string name = t.Display();
      if (!CollectionMatches(pattern, name)) continue;
      any = true;
      IncrementalTable it{name, "", s.surrogate_key};
      for (const auto& [dc, filter] : s.conditions) {
        if (CollectionMatches(dc, name)) {
          it.filter = filter;
          break;
        }
      }
      Enqueue(it, ("signal '" + s.id + "'").c_str());
    }
    if (!any) {
      spdlog::warn(
          "execute-snapshot signal '{}': '{}' matches no table pgcdc captures (source.tables); "
          "nothing to snapshot for it",
          s.id, pattern);
    }
  }
  dirty_ = true;
}

void IncrementalSnapshot::AddTables(const std::vector<std::string>& names) {
  if (names.empty()) return;
  for (const auto& n : names) Enqueue(IncrementalTable{n, "", ""}, "joined the capture set");
  ApplyNow();
}

}  // namespace cdc::connector
