#include "connector/lsn_tracker.h"

#include <gtest/gtest.h>

namespace cdc::connector {
namespace {

TEST(LsnTracker, ConfirmsOnlyFullyAcknowledgedPrefix) {
  LsnTracker t(Lsn(100));
  auto* a = t.Begin();
  a->Sent();
  a->Sent();
  t.Commit(a, Lsn(200));
  auto* b = t.Begin();
  b->Sent();
  t.Commit(b, Lsn(300));
  EXPECT_EQ(t.confirmed(), Lsn(100));

  t.Acknowledge(b);  // later transaction first: must not confirm past `a`
  EXPECT_EQ(t.confirmed(), Lsn(100));
  t.Acknowledge(a);
  EXPECT_EQ(t.confirmed(), Lsn(100));
  t.Acknowledge(a);
  EXPECT_EQ(t.confirmed(), Lsn(300));
  EXPECT_TRUE(t.idle());
}

TEST(LsnTracker, OpenTransactionBlocksUntilCommit) {
  LsnTracker t(Lsn(10));
  auto* a = t.Begin();
  a->Sent();
  t.Acknowledge(a);
  EXPECT_EQ(t.confirmed(), Lsn(10));  // all acked but no Commit yet
  t.Commit(a, Lsn(20));
  EXPECT_EQ(t.confirmed(), Lsn(20));
}

TEST(LsnTracker, EmptyTransactionsConfirmAtCommit) {
  LsnTracker t(Lsn(10));
  t.Commit(t.Begin(), Lsn(50));
  EXPECT_EQ(t.confirmed(), Lsn(50));
}

TEST(LsnTracker, IdleKeepaliveConfirmsOnlyWhenNothingOutstanding) {
  LsnTracker t(Lsn(10));
  t.OnIdle(Lsn(40));
  EXPECT_EQ(t.confirmed(), Lsn(40));
  auto* a = t.Begin();
  a->Sent();
  t.Commit(a, Lsn(60));
  t.OnIdle(Lsn(90));
  EXPECT_EQ(t.confirmed(), Lsn(40));
  t.Acknowledge(a);
  EXPECT_EQ(t.confirmed(), Lsn(60));
  t.OnIdle(Lsn(50));  // never backwards
  EXPECT_EQ(t.confirmed(), Lsn(60));
}

TEST(LsnTracker, AbandonedTransactionConfirmsNothingAndDoesNotBlock) {
  LsnTracker t(Lsn(10));
  auto* cut = t.Begin();
  cut->Sent();
  t.Abandon(cut);
  auto* next = t.Begin();
  t.Commit(next, Lsn(70));
  EXPECT_EQ(t.confirmed(), Lsn(10));  // the cut txn's event is still outstanding
  t.Acknowledge(cut);
  EXPECT_EQ(t.confirmed(), Lsn(70));
}

TEST(LsnTracker, FailedDeliveryFreezesProgress) {
  LsnTracker t(Lsn(10));
  auto* a = t.Begin();
  a->Sent();
  t.Commit(a, Lsn(20));
  auto* b = t.Begin();
  t.Commit(b, Lsn(30));
  // `a`'s event failed: it is never acknowledged, so neither a nor b is confirmed.
  t.OnIdle(Lsn(99));
  EXPECT_EQ(t.confirmed(), Lsn(10));
}

}  // namespace
}  // namespace cdc::connector
