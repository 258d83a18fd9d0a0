#pragma once

// SnapshotMarkers: decides each snapshot record's `source.snapshot` value when several workers
// read ranges of the same tables at once. Debezium 3 marks the first record "first", a table's
// first and last records "first_in_data_collection" / "last_in_data_collection", the final record
// "last" and the rest "true"; consumers wait for "last" to know the snapshot is complete.
//
// A row can be known to be the last of its table (or of the snapshot) only when every other range
// has finished, so each worker holds back the final row of each range and hands it over here; the
// rows that turn out not to be last come back to it, marked, for emitting. Precedence when one row
// qualifies twice: last > first > last_in_data_collection > first_in_data_collection > true.
//
// Thread-safe: called by every snapshot worker and, for TakeLast(), the thread that joins them.

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cdc::connector {

// A held row's COPY text (or binary COPY row), owned without a copy: the buffer libpq returned
// (with PQfreemem as `free_fn`), so a 100 MB row is not held twice while it waits for its marker;
// or a string.
class RowText {
 public:
  RowText() = default;
  RowText(char* data, size_t size, void (*free_fn)(void*))
      : RowText(data, std::string_view(data, size), free_fn) {}
  // `row` lies inside `data`: a binary COPY's first message carries the file header before it.
  RowText(char* data, std::string_view row, void (*free_fn)(void*))
      : buf_(data, free_fn), row_(row) {}
  explicit RowText(std::string s) : owned_(std::move(s)) {}
  std::string_view view() const { return buf_ ? row_ : std::string_view(owned_); }

 private:
  static void NoFree(void*) {}
  std::unique_ptr<char, void (*)(void*)> buf_{nullptr, &NoFree};
  std::string_view row_;
  std::string owned_;
};

class SnapshotMarkers {
 public:
  // `ranges_per_table[i]` is the number of ranges table i is read in (at least 1 each).
  explicit SnapshotMarkers(const std::vector<int>& ranges_per_table);

  // The marker of a row of `table` that is not the last row of its range.
  std::string_view ForRow(size_t table);

  struct HeldRow {
    size_t table;
    RowText row;  // the row as read (COPY text line, or binary COPY row)
    std::string_view marker;
  };

  // A range of `table` is done; `last_row` is its final row (nullopt if the range was empty).
  // Returns the held rows that are now known not to be the snapshot's final row, marked.
  std::vector<HeldRow> FinishRange(size_t table, std::optional<RowText> last_row);

  // Once every range has finished: the snapshot's final row, marked "last" (nullopt: no rows).
  std::optional<HeldRow> TakeLast();

 private:
  struct Table {
    std::atomic<bool> first_taken{false};
    int ranges_left = 0;             // guarded by mu_
    std::optional<RowText> pending;  // guarded by mu_: the latest held row
  };
  std::string_view Mark(size_t table, bool table_last, bool snapshot_last);

  std::atomic<bool> first_taken_{false};
  std::vector<std::unique_ptr<Table>> tables_;
  std::mutex mu_;
  std::optional<std::pair<size_t, RowText>> last_candidate_;  // guarded by mu_
};

}  // namespace cdc::connector
