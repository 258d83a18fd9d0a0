#include "connector/start_decision.h"

#include <gtest/gtest.h>

namespace cdc::connector {
namespace {

// An interrupted snapshot whose slot sits where the snapshot left it.
struct Interrupted {
  Offset offset{"s", "1", "d", 1, Lsn(0x500), SnapshotState::kRunning, Lsn(0x500), {}};
  SlotState slot;
  config::Config cfg;
  Interrupted() {
    slot.exists = true;
    slot.confirmed_flush = Lsn(0x500);
    slot.wal_status = WalStatus::kReserved;
    cfg.source.slot = "s";
    cfg.snapshot.mode = config::SnapshotMode::kInitial;
  }
};

TEST(StartDecision, InterruptedSnapshotWithItsSlotIntactIsResumed) {
  Interrupted x;
  EXPECT_TRUE(CanResumeSnapshot(&x.offset, x.slot));
  x.offset.snapshot_tables["public.a"] = Lsn(0x500);
  auto why = DecideStart(x.cfg, "f", &x.offset, x.slot);
  ASSERT_TRUE(why.ok());
  EXPECT_EQ(why->why,
            "the previous snapshot did not complete: resuming it (1 tables already read)");
}

TEST(StartDecision, InterruptedSnapshotIsTakenAgainWhenItsSlotCannotServeIt) {
  {
    Interrupted x;  // the slot was dropped
    x.slot = SlotState{};
    EXPECT_FALSE(CanResumeSnapshot(&x.offset, x.slot));
    x.cfg.snapshot.mode = config::SnapshotMode::kWhenNeeded;
    auto why = DecideStart(x.cfg, "f", &x.offset, x.slot);
    ASSERT_TRUE(why.ok());
    EXPECT_EQ(why->why, "the previous snapshot did not complete: taking it again");
  }
  {
    Interrupted x;  // invalidated
    x.slot.wal_status = WalStatus::kLost;
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
    x.offset.snapshot = SnapshotState::kComplete;
    EXPECT_FALSE(CanResumeSnapshot(&x.offset, x.slot));
    EXPECT_FALSE(CanResumeSnapshot(nullptr, x.slot));
  }
}

TEST(StartDecision, NeverRefusesAnUnfinishedSnapshot) {
  Interrupted x;
  x.cfg.snapshot.mode = config::SnapshotMode::kNever;
  EXPECT_FALSE(DecideStart(x.cfg, "f", &x.offset, x.slot).ok());
}

TEST(StartDecision, SlotAheadGivesTheAdviceThatWorksInEveryMode) {
  for (config::SnapshotMode mode : {config::SnapshotMode::kInitial, config::SnapshotMode::kNever}) {
    Interrupted x;
    x.cfg.snapshot.mode = mode;
    x.offset.snapshot = SnapshotState::kComplete;
    x.slot.confirmed_flush = Lsn(0x600);
    auto why = DecideStart(x.cfg, "/var/lib/pgcdc/s.offsets", &x.offset, x.slot);
    ASSERT_FALSE(why.ok()) << static_cast<int>(mode);
    const std::string& m = why.status().message();
    EXPECT_EQ(m, SlotAheadMessage("s", Lsn(0x600), "/var/lib/pgcdc/s.offsets", Lsn(0x500)));
    EXPECT_NE(m.find("pgcdc offsets reset -c FILE --to-slot --yes"), std::string::npos) << m;
    EXPECT_NE(m.find("snapshot.mode: when_needed"), std::string::npos) << m;
    // Removing the file fails again under snapshot.mode initial (the slot exists): not advice.
    EXPECT_EQ(m.find("remove the offsets file"), std::string::npos) << m;
  }
  // What the advice promises: when_needed takes a new snapshot.
  Interrupted x;
  x.cfg.snapshot.mode = config::SnapshotMode::kWhenNeeded;
  x.offset.snapshot = SnapshotState::kComplete;
  x.slot.confirmed_flush = Lsn(0x600);
  auto why = DecideStart(x.cfg, "f", &x.offset, x.slot);
  ASSERT_TRUE(why.ok());
  EXPECT_NE(why->why.find("ahead of the offsets"), std::string::npos) << why->why;
}

}  // namespace
}  // namespace cdc::connector
