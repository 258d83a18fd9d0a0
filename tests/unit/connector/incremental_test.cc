// The pure parts of incremental snapshots: watermark and signal codecs, the progress record, and
// the visibility check's xid arithmetic (the integration tests run the algorithm itself against
// PostgreSQL: tests/integration/test_incremental_snapshot.py).

#include <gtest/gtest.h>

#include "connector/incremental_chunk.h"
#include "connector/incremental_state.h"
#include "connector/offset_store.h"
#include "connector/signals.h"
#include "connector/watermark.h"

namespace cdc::connector {
namespace {

TEST(WatermarkTest, RoundTripsAndRejectsOtherShapes) {
  Watermark w{Watermark::Kind::kHigh, "abc123", 42, "public.orders"};
  auto back = ParseWatermark(EncodeWatermark(w));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, w);
  EXPECT_FALSE(ParseWatermark("not json").has_value());
  EXPECT_FALSE(ParseWatermark(R"({"kind":"middle","snapshot_id":"a","chunk":1})").has_value());
  EXPECT_FALSE(ParseWatermark(R"({"kind":"low","chunk":1})").has_value());
  EXPECT_FALSE(ParseWatermark(R"({"kind":"low","snapshot_id":"a","chunk":-1})").has_value());
}

TEST(SignalTest, ExecuteSnapshotInDebeziumShape) {
  auto s = ParseSignal("s1", "execute-snapshot",
                       R"({"data-collections": ["public.a", "inv\\..*"], "type": "INCREMENTAL",
                           "additional-conditions": [{"data-collection": "public.a",
                                                      "filter": "x > 1"}],
                           "surrogate-key": "code"})");
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->type, Signal::Type::kExecuteSnapshot);
  EXPECT_EQ(s->collections, (std::vector<std::string>{"public.a", "inv\\..*"}));
  ASSERT_EQ(s->conditions.size(), 1u);
  EXPECT_EQ(s->conditions[0].second, "x > 1");
  EXPECT_EQ(s->surrogate_key, "code");
}

TEST(SignalTest, BadSignalsNameTheProblem) {
  auto blocking =
      ParseSignal("s", "execute-snapshot", R"({"data-collections": ["a.b"], "type": "blocking"})");
  ASSERT_FALSE(blocking.ok());
  EXPECT_NE(blocking.status().message().find("'blocking' is not supported"), std::string::npos);
  EXPECT_FALSE(ParseSignal("s", "execute-snapshot", "{nope").ok());
  EXPECT_FALSE(ParseSignal("s", "execute-snapshot", R"({"type": "incremental"})").ok());
  EXPECT_FALSE(ParseSignal("s", "execute-snapshot", "").ok());
  auto pause = ParseSignal("s", "pause-snapshot", "");
  ASSERT_TRUE(pause.ok());
  EXPECT_EQ(pause->type, Signal::Type::kPauseSnapshot);
  auto other = ParseSignal("s", "log", R"({"message": "hi"})");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->type, Signal::Type::kOther);
}

TEST(SignalTest, CliMessageRoundTrips) {
  const std::string msg = SignalMessage("cli-1", "execute-snapshot",
                                        ExecuteSnapshotData({"public.a", "public.b"}, "id > 5"));
  auto s = ParseSignalMessage(msg);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->id, "cli-1");
  EXPECT_EQ(s->collections.size(), 2u);
  ASSERT_EQ(s->conditions.size(), 2u);
  EXPECT_EQ(s->conditions[1].first, "public.b");
  EXPECT_EQ(s->conditions[1].second, "id > 5");
  EXPECT_FALSE(ParseSignalMessage("[]").ok());
}

TEST(SignalTest, CollectionsAreCaseInsensitiveWholeMatches) {
  EXPECT_TRUE(CollectionMatches("public.orders", "public.orders"));
  EXPECT_TRUE(CollectionMatches("PUBLIC.Orders", "public.orders"));
  EXPECT_TRUE(CollectionMatches("public\\..*", "public.orders"));
  EXPECT_FALSE(CollectionMatches("public.order", "public.orders"));
  EXPECT_TRUE(CollectionMatches("public.(x", "public.(x"));  // not a regex: literal
}

TEST(IncrementalStateTest, RoundTripsThroughTheOffsetsFile) {
  IncrementalState s;
  s.queue.push_back({"public.a", "x > 1", ""});
  s.queue.push_back({"public.b", "", "code"});
  s.cursor = KeyValues{std::string("10"), std::nullopt};
  s.max_key = KeyValues{std::string("99"), std::string("z")};
  s.chunks = 3;
  s.rows = 12000;
  s.paused = true;
  const std::string path = ::testing::TempDir() + "/incremental-state.offsets";
  Offset o{"slot", "1", "db", 1, Lsn(0x100)};
  o.incremental_snapshot = EncodeIncrementalState(s);
  ASSERT_TRUE(OffsetStore(path).Save(o).ok());
  auto loaded = OffsetStore(path).Load();
  ASSERT_TRUE(loaded.ok() && loaded->has_value());
  auto back = ParseIncrementalState((*loaded)->incremental_snapshot);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(*back, s);
  std::remove(path.c_str());

  EXPECT_EQ(EncodeIncrementalState(IncrementalState{}), "");
  EXPECT_TRUE(ParseIncrementalState("")->empty());
  EXPECT_FALSE(ParseIncrementalState(R"({"tables": 5})").ok());
}

TEST(ChunkSnapshotTest, VisibilityUsesSnapshotBoundsAndInProgressList) {
  ChunkSnapshot s;
  s.xmin = 100;
  s.xmax = 110;
  s.xip = {103, 107};
  EXPECT_TRUE(s.Sees(99));
  EXPECT_TRUE(s.Sees(100));
  EXPECT_FALSE(s.Sees(103));
  EXPECT_TRUE(s.Sees(104));
  EXPECT_FALSE(s.Sees(110));
  EXPECT_FALSE(s.Sees(200));
}

TEST(ChunkSnapshotTest, ThirtyTwoBitXidsWrapAround) {
  // xid8 values past the first epoch; pgoutput sends only the low 32 bits.
  ChunkSnapshot s;
  s.xmin = (uint64_t{1} << 32) + 5;   // epoch 1, xid 5
  s.xmax = (uint64_t{1} << 32) + 20;  // epoch 1, xid 20
  s.xip = {(uint64_t{1} << 32) + 7};
  EXPECT_TRUE(s.Sees(0xFFFFFFF0u));  // epoch 0's end: long committed
  EXPECT_TRUE(s.Sees(6));
  EXPECT_FALSE(s.Sees(7));
  EXPECT_FALSE(s.Sees(25));
}

}  // namespace
}  // namespace cdc::connector
