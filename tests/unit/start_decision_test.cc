#include "connector/start_decision.h"

#include <gtest/gtest.h>

namespace cdc::connector {
namespace {

// An interrupted snapshot whose slot sits where the snapshot left it.
struct Interrupted {
  Offset offset{"s", "1", "d", 1, Lsn(0x500), "running", Lsn(0x500), {}};
  SlotState slot;
  config::Config cfg;
  Interrupted() {
    slot.exists = true;
    slot.confirmed_flush = Lsn(0x500);
    slot.wal_status = "reserved";
    cfg.source.slot = "s";
    cfg.snapshot.mode = "initial";
  }
};

TEST(StartDecision, InterruptedSnapshotWithItsSlotIntactIsResumed) {
  Interrupted x;
  EXPECT_TRUE(CanResumeSnapshot(&x.offset, x.slot));
  x.offset.snapshot_tables["public.a"] = Lsn(0x500);
  auto why = DecideStart(x.cfg, "f", &x.offset, x.slot);
  ASSERT_TRUE(why.ok());
  EXPECT_EQ(*why, "the previous snapshot did not complete: resuming it (1 tables already read)");
}

TEST(StartDecision, InterruptedSnapshotIsTakenAgainWhenItsSlotCannotServeIt) {
  {
    Interrupted x;  // the slot was dropped
    x.slot = SlotState{};
    EXPECT_FALSE(CanResumeSnapshot(&x.offset, x.slot));
    x.cfg.snapshot.mode = "when_needed";
    auto why = DecideStart(x.cfg, "f", &x.offset, x.slot);
    ASSERT_TRUE(why.ok());
    EXPECT_EQ(*why, "the previous snapshot did not complete: taking it again");
  }
  {
    Interrupted x;  // invalidated
    x.slot.wal_status = "lost";
    EXPECT_FALSE(CanResumeSnapshot(&x.offset, x.slot));
  }
  {
    Interrupted x;  // moved on by someone else: the changes in between are gone
    x.slot.confirmed_flush = Lsn(0x600);
    EXPECT_FALSE(CanResumeSnapshot(&x.offset, x.slot));
  }
  {
    Interrupted x;  // killed before the slot was created
    x.offset.snapshot_lsn = Lsn();
    EXPECT_FALSE(CanResumeSnapshot(&x.offset, x.slot));
  }
  {
    Interrupted x;  // finished
    x.offset.snapshot = "complete";
    EXPECT_FALSE(CanResumeSnapshot(&x.offset, x.slot));
    EXPECT_FALSE(CanResumeSnapshot(nullptr, x.slot));
  }
}

TEST(StartDecision, NeverRefusesAnUnfinishedSnapshot) {
  Interrupted x;
  x.cfg.snapshot.mode = "never";
  EXPECT_FALSE(DecideStart(x.cfg, "f", &x.offset, x.slot).ok());
}

}  // namespace
}  // namespace cdc::connector
