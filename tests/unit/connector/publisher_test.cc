// The Publisher against a scripted sink: reports settle the ticket they were sent under, a
// failed report is never an acknowledgement (so the LSN stays frozen), in-flight limits block,
// and a full local queue is waited out through the caller's hook.

#include "connector/publisher.h"

#include <gtest/gtest.h>

#include "connector/lsn_tracker.h"
#include "tests/unit/connector/fake_sink.h"

namespace cdc::connector {
namespace {

using testing::ScriptedSink;

ChangeEvent Event(std::string_view value) {
  ChangeEvent ev;
  ev.topic = "t";
  ev.key = "k";
  ev.value = value;
  return ev;
}

struct Fixture {
  Metrics metrics;
  Publisher publisher{InflightLimits{3, 1 << 20}, &metrics, nullptr};
  ScriptedSink* sink = nullptr;
  Fixture() {
    auto s = std::make_unique<ScriptedSink>(&publisher);
    sink = s.get();
    publisher.Attach(std::move(s));
  }
};

Status NoWait() { return Status::Unavailable("must not wait"); }

TEST(Publisher, ReportsSettleTheirTransactionAndConfirmItsEnd) {
  Fixture f;
  LsnTracker tracker(Lsn(100));
  auto* a = tracker.Begin();
  ASSERT_TRUE(f.publisher.Publish(Event("x"), *a, NoWait).ok());
  ASSERT_TRUE(f.publisher.Publish(Event("yy"), *a, NoWait).ok());
  tracker.Commit(a, Lsn(200));
  EXPECT_EQ(f.publisher.inflight_events(), 2);
  EXPECT_EQ(f.publisher.inflight_bytes(), 2 + 3);
  EXPECT_EQ(tracker.confirmed(), Lsn(100));
  f.publisher.Serve(0);
  EXPECT_EQ(tracker.confirmed(), Lsn(200));
  EXPECT_EQ(f.publisher.inflight_events(), 0);
  EXPECT_EQ(f.publisher.inflight_bytes(), 0);
  EXPECT_EQ(f.publisher.acknowledged(), 2u);
  EXPECT_TRUE(f.publisher.failure().ok());
}

TEST(Publisher, AFailedReportFreezesTheConfirmedLsn) {
  Fixture f;
  LsnTracker tracker(Lsn(100));
  auto* a = tracker.Begin();
  ASSERT_TRUE(f.publisher.Publish(Event("x"), *a, NoWait).ok());
  ASSERT_TRUE(f.publisher.Publish(Event("x"), *a, NoWait).ok());
  tracker.Commit(a, Lsn(200));
  auto* b = tracker.Begin();
  ASSERT_TRUE(f.publisher.Publish(Event("x"), *b, NoWait).ok());
  tracker.Commit(b, Lsn(300));
  f.sink->fail_nth = 2;  // the second event of `a`
  f.publisher.Serve(0);
  EXPECT_EQ(f.publisher.inflight_events(), 0);
  EXPECT_EQ(tracker.confirmed(), Lsn(100)) << "nothing past a failed delivery is confirmed";
  EXPECT_FALSE(f.publisher.failure().ok());
  EXPECT_EQ(f.metrics.delivery_errors.load(), 1);
}

TEST(Publisher, InflightLimitsBlockUntilReportsAreServed) {
  Fixture f;
  LsnTracker tracker(Lsn(1));
  auto* a = tracker.Begin();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(f.publisher.Publish(Event("x"), *a, NoWait).ok());
  EXPECT_TRUE(f.publisher.blocked());
  ASSERT_TRUE(f.publisher.WaitForRoom([] { return false; }).ok());  // serves the reports
  EXPECT_FALSE(f.publisher.blocked());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(f.publisher.Publish(Event("x"), *a, NoWait).ok());
  EXPECT_FALSE(f.publisher.WaitForRoom([] { return true; }).ok()) << "cancelled while blocked";
}

TEST(Publisher, AFullQueueIsWaitedOutThroughTheHook) {
  Fixture f;
  LsnTracker tracker(Lsn(1));
  auto* a = tracker.Begin();
  f.sink->full = 2;
  int waits = 0;
  ASSERT_TRUE(f.publisher
                  .Publish(Event("x"), *a,
                           [&] {
                             ++waits;
                             return Status::Ok();
                           })
                  .ok());
  EXPECT_EQ(waits, 2);
  EXPECT_EQ(f.publisher.published(), 1u);
  // The hook's error ends the wait and undoes the in-flight count.
  f.sink->full = 1;
  Status s = f.publisher.Publish(Event("x"), *a, [] { return Status::IoError("offsets"); });
  EXPECT_EQ(s.code(), Status::Code::kIoError);
  EXPECT_EQ(f.publisher.inflight_events(), 1);
  // The ticket still counts the event that never went: its transaction cannot be confirmed.
  tracker.Commit(a, Lsn(9));
  f.publisher.Serve(0);
  EXPECT_EQ(tracker.confirmed(), Lsn(1));
}

}  // namespace
}  // namespace cdc::connector
