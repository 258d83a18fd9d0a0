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
  Offset o{"slot_a", "7310", "db", 1, Lsn(0x100), "running", Lsn(0x100)};
  o.snapshot_tables["public.a"] = Lsn(0x100);
  o.snapshot_tables["public.\"odd\" name"] = Lsn(0x2F0);
  ASSERT_TRUE(s.Save(o).ok());
  auto r = s.Load();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ((*r)->snapshot, "running");
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

}  // namespace
}  // namespace cdc::connector
