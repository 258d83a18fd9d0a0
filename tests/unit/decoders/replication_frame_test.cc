#include "decoders/wire/replication_frame.h"

#include <gtest/gtest.h>

#include "tests/unit/test_util.h"

namespace cdc {
namespace {

using cdc::testing::Bytes;

TEST(ReplicationFrame, XLogData) {
  Bytes b;
  b.U8('w').U64(0x100).U64(0x200).U64(7).Raw("B123");
  auto f = ParseReplicationFrame(b.bytes());
  ASSERT_TRUE(f.ok());
  auto& d = std::get<XLogData>(*f);
  EXPECT_EQ(d.wal_start, Lsn(0x100));
  EXPECT_EQ(d.wal_end, Lsn(0x200));
  EXPECT_EQ(d.payload.size(), 4u);
}

TEST(ReplicationFrame, Keepalive) {
  Bytes b;
  b.U8('k').U64(0x15DF0A8).U64(1).U8(1);
  auto f = ParseReplicationFrame(b.bytes());
  ASSERT_TRUE(f.ok());
  auto& k = std::get<Keepalive>(*f);
  EXPECT_EQ(k.wal_end, Lsn(0x15DF0A8));
  EXPECT_TRUE(k.reply_requested);
}

TEST(ReplicationFrame, ShortFramesAreErrors) {
  Bytes w;
  w.U8('w').U64(1);
  EXPECT_FALSE(ParseReplicationFrame(w.bytes()).ok());
  Bytes k;
  k.U8('k').U64(1).U64(2);
  EXPECT_FALSE(ParseReplicationFrame(k.bytes()).ok());
  EXPECT_FALSE(ParseReplicationFrame(std::vector<uint8_t>{}).ok());
}

TEST(ReplicationFrame, UnknownKindsAreReportedNotFailed) {
  auto f = ParseReplicationFrame(std::vector<uint8_t>{'s', 1, 2});
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(std::get<UnknownFrame>(*f).kind, 's');
}

TEST(ReplicationFrame, StandbyStatusLayout) {
  auto m = EncodeStandbyStatus(Lsn(0x0102030405060708), Lsn(0x10), Lsn(0x20), 0x30, true);
  EXPECT_EQ(m[0], 'r');
  EXPECT_EQ(m[1], 0x01);
  EXPECT_EQ(m[8], 0x08);
  EXPECT_EQ(m[16], 0x10);  // flush
  EXPECT_EQ(m[24], 0x20);  // apply
  EXPECT_EQ(m[32], 0x30);  // clock
  EXPECT_EQ(m[33], 1);
}

}  // namespace
}  // namespace cdc
