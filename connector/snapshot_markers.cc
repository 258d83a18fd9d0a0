#include "connector/snapshot_markers.h"

namespace cdc::connector {

namespace {

// True for the one caller that flips `flag`. Called for every row: the load keeps the common
// case (already taken) a read of a shared cache line instead of a write to it.
bool TakeFirst(std::atomic<bool>& flag) {
  return !flag.load(std::memory_order_relaxed) && !flag.exchange(true);
}

}  // namespace

SnapshotMarkers::SnapshotMarkers(const std::vector<int>& ranges_per_table) {
  tables_.reserve(ranges_per_table.size());
  for (int n : ranges_per_table) {
    auto t = std::make_unique<Table>();
    t->ranges_left = n;
    tables_.push_back(std::move(t));
  }
}

std::string_view SnapshotMarkers::Mark(size_t table, bool table_last, bool snapshot_last) {
  if (snapshot_last) return "last";
  if (TakeFirst(first_taken_)) {
    tables_[table]->first_taken.store(true);
    return "first";
  }
  const bool table_first = TakeFirst(tables_[table]->first_taken);
  if (table_last) return "last_in_data_collection";
  if (table_first) return "first_in_data_collection";
  return "true";
}

std::string_view SnapshotMarkers::ForRow(size_t table) {
  return Mark(table, /*table_last=*/false, /*snapshot_last=*/false);
}

std::vector<SnapshotMarkers::HeldRow> SnapshotMarkers::FinishRange(
    size_t table, std::optional<RowText> last_row) {
  std::vector<HeldRow> out;
  std::lock_guard<std::mutex> lock(mu_);
  Table& t = *tables_[table];
  if (last_row) {
    if (t.pending) out.push_back(HeldRow{table, std::move(*t.pending), Mark(table, false, false)});
    t.pending = std::move(last_row);
  }
  if (--t.ranges_left == 0 && t.pending) {
    // The table is complete: its held row is its last; it may still be the snapshot's last.
    if (last_candidate_) {
      const size_t prev = last_candidate_->first;
      out.push_back(HeldRow{prev, std::move(last_candidate_->second), Mark(prev, true, false)});
    }
    last_candidate_.emplace(table, std::move(*t.pending));
    t.pending.reset();
  }
  return out;
}

std::optional<SnapshotMarkers::HeldRow> SnapshotMarkers::TakeLast() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!last_candidate_) return std::nullopt;
  HeldRow r{last_candidate_->first, std::move(last_candidate_->second),
            Mark(last_candidate_->first, true, true)};
  last_candidate_.reset();
  return r;
}

}  // namespace cdc::connector
