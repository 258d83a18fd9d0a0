#include "connector/offset_store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace cdc::connector {
namespace {

class OffsetStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("pgcdc-offsets-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "x.offsets").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(OffsetStoreTest, MissingFileIsNoOffset) {
  auto r = OffsetStore(path_).Load();
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
}

TEST_F(OffsetStoreTest, RoundTripsAndReplaces) {
  OffsetStore s(path_);
  ASSERT_TRUE(s.Save(Offset{"slot_a", "7310", "db", 1, Lsn(0x16E4850)}).ok());
  ASSERT_TRUE(s.Save(Offset{"slot_a", "7310", "db", 1, Lsn(0x16E4900)}).ok());
  auto r = s.Load();
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->lsn, Lsn(0x16E4900));
  EXPECT_EQ((*r)->slot, "slot_a");
  EXPECT_EQ((*r)->system_id, "7310");
  EXPECT_FALSE(std::filesystem::exists(path_ + ".tmp"));
}

TEST_F(OffsetStoreTest, RoundTripsSnapshotProgress) {
  OffsetStore s(path_);
  Offset o{"slot_a", "7310", "db", 1, Lsn(0x100), SnapshotState::kRunning, Lsn(0x100)};
  o.snapshot_tables["public.a"] = Lsn(0x100);
  o.snapshot_tables["public.\"odd\" name"] = Lsn(0x2F0);
  ASSERT_TRUE(s.Save(o).ok());
  auto r = s.Load();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ((*r)->snapshot, SnapshotState::kRunning);
  EXPECT_EQ((*r)->snapshot_lsn, Lsn(0x100));
  EXPECT_EQ((*r)->snapshot_tables, o.snapshot_tables);

  std::ofstream(path_, std::ios::trunc)
      << R"({"format":1,"slot":"s","system_id":"1","database":"d","timeline":1,"lsn":"0/1",)"
      << R"("snapshot":"running","snapshot_lsn":"0/1","snapshot_tables":{"public.a":"x"}})";
  auto bad = OffsetStore(path_).Load();
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("snapshot_tables.public.a"), std::string::npos);
}

TEST_F(OffsetStoreTest, CorruptFileIsRefused) {
  std::ofstream(path_) << "{\"format\": 1, \"slot\": ";
  auto r = OffsetStore(path_).Load();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kCorruption);
  std::ofstream(path_, std::ios::trunc)
      << R"({"format":1,"slot":"s","system_id":"1","database":"d","timeline":1,"lsn":"zz"})";
  EXPECT_FALSE(OffsetStore(path_).Load().ok());
}

TEST_F(OffsetStoreTest, FilesWithoutAStuckRecordLoad) {
  // As written before the field existed.
  std::ofstream(path_) << R"({"format":1,"slot":"s","system_id":"1","database":"d","timeline":1,)"
                       << R"("lsn":"0/1A","lsn_int":26,"updated_at":"2024-01-01T00:00:00Z"})";
  auto r = OffsetStore(path_).Load();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ((*r)->lsn, Lsn(0x1A));
  EXPECT_FALSE((*r)->stuck.has_value());
}

TEST_F(OffsetStoreTest, StuckRecordRoundTripsWithoutMovingTheLsn) {
  OffsetStore s(path_);
  Offset o{"slot_a", "7310", "db", 1, Lsn(0x100), SnapshotState::kComplete, Lsn(0x80)};
  ASSERT_TRUE(s.Save(o).ok());
  StuckEvent e;
  e.topic = "shop.public.t";
  e.table = "public.t";
  e.SetKey(R"({"id":7})", 8);
  e.lsn = Lsn(0x1F0);
  e.cause = "Broker: Message size too large";
  e.error = "MSG_SIZE_TOO_LARGE";
  e.at = "2024-01-01T00:00:00Z";
  ASSERT_TRUE(s.SaveStuck(e).ok());
  auto r = s.Load();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ((*r)->lsn, Lsn(0x100));
  EXPECT_EQ((*r)->snapshot, SnapshotState::kComplete);
  ASSERT_TRUE((*r)->stuck.has_value());
  const StuckEvent& got = *(*r)->stuck;
  EXPECT_EQ(got.topic, e.topic);
  EXPECT_EQ(got.table, e.table);
  EXPECT_EQ(got.key, e.key);
  EXPECT_FALSE(got.key_truncated);
  EXPECT_EQ(got.lsn, e.lsn);
  EXPECT_FALSE(got.in_snapshot);
  EXPECT_EQ(got.cause, e.cause);
  EXPECT_EQ(got.error, e.error);
  EXPECT_EQ(got.at, e.at);
  const std::string line = DescribeStuck(got);
  EXPECT_NE(line.find("topic 'shop.public.t' (table public.t) key {\"id\":7} at LSN 0/1F0"),
            std::string::npos)
      << line;
  EXPECT_NE(StuckWaysOut(got).find("sink.kafka.message.max.bytes"), std::string::npos);
  EXPECT_NE(StuckWaysOut(got).find("sink.dead_letter_topic"), std::string::npos);

  ASSERT_TRUE(s.SaveStuck(std::nullopt).ok());
  r = s.Load();
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE((*r)->stuck.has_value());
  EXPECT_EQ((*r)->lsn, Lsn(0x100));
}

TEST_F(OffsetStoreTest, LongKeysAreCutAtACharacterBoundaryAndSaid) {
  StuckEvent e;
  e.topic = "t";
  // 199 ASCII bytes, then a two-byte character across the 200-byte limit.
  std::string key(199, 'k');
  key += "\xC3\xA9tail";
  e.SetKey(key.data(), key.size());
  EXPECT_TRUE(e.key_truncated);
  EXPECT_EQ(*e.key, std::string(199, 'k'));
  EXPECT_NE(DescribeStuck(e).find("[key truncated to 200 bytes]"), std::string::npos);
  // A binary key (Avro) is shown with \xNN for its bytes that are not text.
  e.SetKey("\x00\x00\x00\x00\x07\x02", 6);
  EXPECT_FALSE(e.key_truncated);
  EXPECT_EQ(*e.key, "\\x00\\x00\\x00\\x00\\x07\\x02");
  e.SetKey(nullptr, 0);
  EXPECT_FALSE(e.key.has_value());
  EXPECT_NE(DescribeStuck(e).find("key null"), std::string::npos);

  // Bytes that are not UTF-8 still leave a loadable file.
  OffsetStore s(path_);
  Offset o{"slot_a", "7310", "db", 1, Lsn(0x100)};
  o.stuck = e;
  o.stuck->key = std::string("\xFF\xFE", 2);
  ASSERT_TRUE(s.Save(o).ok());
  auto r = s.Load();
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_TRUE((*r)->stuck.has_value());
}

TEST_F(OffsetStoreTest, ADirectoryWhereTheFileShouldBeIsNamed) {
  std::filesystem::create_directories(path_);
  auto r = OffsetStore(path_).Load();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(path_ + " is a directory"), std::string::npos)
      << r.status().message();
}

TEST_F(OffsetStoreTest, StuckRecordNeedsAnExistingFile) {
  StuckEvent e;
  e.topic = "t";
  EXPECT_EQ(OffsetStore(path_).SaveStuck(e).code(), Status::Code::kFailedPrecondition);
}

TEST_F(OffsetStoreTest, WritabilityIsProbedBesideTheFile) {
  EXPECT_TRUE(OffsetStore(path_).CheckWritable().ok());
  EXPECT_TRUE(std::filesystem::is_empty(dir_));  // the probe is gone
  // Where the directory should be there is a file: nothing can be created there (even as root).
  const std::string blocked = (dir_ / "file").string();
  std::ofstream(blocked) << "x";
  const Status s = OffsetStore(blocked + "/x.offsets").CheckWritable();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("cannot write in " + blocked), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("Not a directory"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace cdc::connector
