#include "connector/snapshot_markers.h"

#include <gtest/gtest.h>

#include <map>

namespace cdc::connector {
namespace {

// Emits rows the way the workers do: every row but a range's last at once, the last through
// FinishRange. Returns row -> marker.
class Recorder {
 public:
  explicit Recorder(SnapshotMarkers* m) : m_(m) {}
  void Range(size_t table, std::vector<std::string> rows) {
    std::optional<RowText> last;
    if (!rows.empty()) {
      last.emplace(rows.back());
      rows.pop_back();
    }
    for (auto& r : rows) marks[r] = std::string(m_->ForRow(table));
    for (auto& h : m_->FinishRange(table, std::move(last))) {
      marks[std::string(h.row.view())] = std::string(h.marker);
    }
  }
  void Finish() {
    if (auto h = m_->TakeLast()) marks[std::string(h->row.view())] = std::string(h->marker);
  }
  std::map<std::string, std::string> marks;

 private:
  SnapshotMarkers* m_;
};

TEST(SnapshotMarkers, FirstLastAndPerTableMarkers) {
  SnapshotMarkers m({2, 1});
  Recorder r(&m);
  r.Range(0, {"a1", "a2", "a3"});
  r.Range(1, {"b1", "b2"});
  r.Range(0, {"a4", "a5"});
  r.Finish();
  EXPECT_EQ(r.marks["a1"], "first");
  EXPECT_EQ(r.marks["a2"], "true");
  EXPECT_EQ(r.marks["a3"], "true");  // held back, but table 0 had another range
  EXPECT_EQ(r.marks["b1"], "first_in_data_collection");
  EXPECT_EQ(r.marks["b2"], "last_in_data_collection");
  EXPECT_EQ(r.marks["a4"], "true");
  EXPECT_EQ(r.marks["a5"], "last");
  EXPECT_EQ(r.marks.size(), 7u);
}

TEST(SnapshotMarkers, EmptyRangesAndEmptyTables) {
  SnapshotMarkers m({3, 1, 1});
  Recorder r(&m);
  r.Range(0, {"a1"});
  r.Range(1, {});
  r.Range(0, {});
  r.Range(2, {"c1"});
  r.Range(0, {});
  r.Finish();
  EXPECT_EQ(r.marks["c1"], "first");  // the first row out; "first" outranks last_in_data_collection
  EXPECT_EQ(r.marks["a1"], "last");
  EXPECT_EQ(r.marks.size(), 2u);
}

TEST(SnapshotMarkers, NoRowsNoLast) {
  SnapshotMarkers m({1});
  Recorder r(&m);
  r.Range(0, {});
  r.Finish();
  EXPECT_TRUE(r.marks.empty());
}

}  // namespace
}  // namespace cdc::connector
