// The stream loop's LSN discipline, in-process against a scripted replication source, a scripted
// sink and a hand-moved clock, in milliseconds:
// - a failed N-th delivery freezes the flush LSN: nothing at or after it is persisted or reported;
// - an idle keepalive's walEnd is confirmed, but not inside an open transaction;
// - backpressure stops reading while status updates keep flowing, and reading resumes after.

#include "connector/stream_loop.h"

#include <gtest/gtest.h>

#include <deque>
#include <vector>

#include "connector/capture_rules.h"
#include "connector/catalog_reader.h"
#include "tests/unit/connector/fake_sink.h"
#include "tests/unit/test_util.h"

namespace cdc::connector {
namespace {

using testing::Bytes;
using testing::ScriptedSink;

constexpr uint32_t kOid = 16446;

std::vector<uint8_t> XLogData(uint64_t lsn, const Bytes& msg) {
  Bytes b;
  b.U8('w').U64(lsn).U64(lsn).U64(0);
  for (uint8_t c : msg.bytes()) b.U8(c);
  return b.bytes();
}
std::vector<uint8_t> Keepalive(uint64_t wal_end, bool reply) {
  return Bytes().U8('k').U64(wal_end).U64(0).U8(reply ? 1 : 0).bytes();
}
Bytes BeginMsg(uint64_t final_lsn, uint32_t xid) {
  return Bytes().U8('B').U64(final_lsn).U64(0).U32(xid);
}
Bytes RelationMsg() {
  return Bytes()
      .U8('R')
      .U32(kOid)
      .Str("public")
      .Str("t")
      .U8('d')
      .U16(2)
      .U8(1)
      .Str("id")
      .U32(23)
      .U32(0xFFFFFFFF)
      .U8(0)
      .Str("v")
      .U32(25)
      .U32(0xFFFFFFFF);
}
Bytes InsertMsg(int id) {
  return Bytes().U8('I').U32(kOid).U8('N').U16(2).Text(std::to_string(id)).Text("x");
}
Bytes CommitMsg(uint64_t lsn, uint64_t end_lsn) {
  return Bytes().U8('C').U8(0).U64(lsn).U64(end_lsn).U64(0);
}

// Hands out its script one frame at a time and records every status update.
class ScriptedSource final : public ReplicationSource {
 public:
  Result<bool> Next(std::span<const uint8_t>* frame) override {
    ++next_calls;
    if (frames.empty()) return false;
    current_ = std::move(frames.front());
    frames.pop_front();
    *frame = current_;
    return true;
  }
  void Release() override { current_.clear(); }
  Status ConsumeInput() override { return Status::Ok(); }
  Status SendStatus(Lsn write, Lsn flush, bool) override {
    statuses.push_back({write, flush});
    return Status::Ok();
  }
  Result<bool> FlushOutput() override { return false; }
  void Finish() override { finished = true; }
  int socket() const override { return -1; }

  std::deque<std::vector<uint8_t>> frames;
  std::vector<std::pair<Lsn, Lsn>> statuses;  // (write, flush)
  int next_calls = 0;
  bool finished = false;

 private:
  std::vector<uint8_t> current_;
};

struct FakeClock final : Clock {
  TimePoint Now() const override { return now; }
  TimePoint now{};
};

// The streaming half of a Runner, wired as start_up.cc wires it, around scripted parts.
struct Harness {
  explicit Harness(InflightLimits limits, CommitCadence cadence = {0, 10000})
      : publisher(limits, &metrics, nullptr),
        tracker(Lsn(0x100)),
        committer(
            cadence, &tracker,
            [this](Lsn l) {
              persisted.push_back(l);
              return Status::Ok();
            },
            Lsn(0x100), clock),
        processor(options, ProcessorOptions{}, &rules, &catalog, &tracker, &publisher,
                  [this] {
                    publisher.Serve(0);
                    return committer.Commit(false);
                  }),
        loop(processor, tracker, publisher, committer, stop) {
    options.name = "t";
    auto s = std::make_unique<ScriptedSink>(&publisher);
    sink = s.get();
    publisher.Attach(std::move(s));
    processor.ResetSession(Lsn(0x100));
  }

  // Runs the loop; `each_turn` sees every turn and may stop it. Stops by itself once the script
  // is used up and `settle_turns` more turns went by.
  Status Run(const std::function<void(int turn)>& each_turn = nullptr, int settle_turns = 3) {
    int turn = 0, idle = 0;
    return loop.Run(
        source,
        [&] {
          if (each_turn) each_turn(turn);
          ++turn;
          if (source.frames.empty() && ++idle > settle_turns) stop.Request();
          if (turn > 10000) stop.Request();  // a test bug must not hang the suite
          return Status::Ok();
        },
        1);
  }

  Lsn MaxFlushReported() const {
    Lsn m;
    for (const auto& [w, f] : source.statuses) m = std::max(m, f);
    return m;
  }

  EventOptions options;
  Metrics metrics;
  CaptureRules rules{CaptureOptions{}};
  // Nothing listens there: lookups fail fast and the events key by the replica identity.
  CatalogReader catalog{"host=127.0.0.1 port=1 connect_timeout=1"};
  Publisher publisher;
  ScriptedSink* sink = nullptr;
  LsnTracker tracker;
  FakeClock clock;
  std::vector<Lsn> persisted;
  OffsetCommitter committer;
  ChangeProcessor processor;
  StopSignal stop;
  StreamLoop loop;
  ScriptedSource source;
};

void TwoTransactions(ScriptedSource& s) {
  s.frames.push_back(XLogData(0x150, BeginMsg(0x200, 7)));
  s.frames.push_back(XLogData(0x150, RelationMsg()));
  s.frames.push_back(XLogData(0x160, InsertMsg(1)));
  s.frames.push_back(XLogData(0x170, InsertMsg(2)));
  s.frames.push_back(XLogData(0x200, CommitMsg(0x200, 0x210)));
  s.frames.push_back(XLogData(0x250, BeginMsg(0x300, 8)));
  s.frames.push_back(XLogData(0x260, InsertMsg(3)));
  s.frames.push_back(XLogData(0x300, CommitMsg(0x300, 0x310)));
}

TEST(StreamLoop, DeliveredTransactionsArePersistedThenReported) {
  Harness h({100, 1 << 20});
  TwoTransactions(h.source);
  ASSERT_TRUE(h.Run().ok());
  EXPECT_EQ(h.sink->sent, 3);
  ASSERT_FALSE(h.persisted.empty());
  EXPECT_EQ(h.persisted.back(), Lsn(0x310));
  EXPECT_EQ(h.MaxFlushReported(), Lsn(0x310));
  // Persist, then report: no flush position is ever reported before it was persisted.
  for (const auto& [write, flush] : h.source.statuses) {
    EXPECT_TRUE(flush == Lsn(0x100) ||
                std::find(h.persisted.begin(), h.persisted.end(), flush) != h.persisted.end());
  }
  EXPECT_TRUE(h.source.finished);
}

TEST(StreamLoop, AFailedSecondDeliveryFreezesTheFlushLsn) {
  Harness h({100, 1 << 20});
  TwoTransactions(h.source);
  h.sink->fail_nth = 2;  // the second insert of the first transaction
  Status s = h.Run();
  EXPECT_EQ(s.code(), Status::Code::kDeliveryFailed) << s.message();
  EXPECT_TRUE(h.persisted.empty()) << "persisted " << h.persisted.back().ToString();
  EXPECT_EQ(h.MaxFlushReported(), Lsn(0x100)) << "no flush past the undelivered change";
  EXPECT_EQ(h.tracker.confirmed(), Lsn(0x100));
}

TEST(StreamLoop, AFailedDeliveryInTheSecondTransactionConfirmsOnlyTheFirst) {
  Harness h({100, 1 << 20});
  TwoTransactions(h.source);
  h.sink->fail_nth = 3;  // the insert of the second transaction
  EXPECT_EQ(h.Run().code(), Status::Code::kDeliveryFailed);
  EXPECT_EQ(h.MaxFlushReported(), Lsn(0x210));
  ASSERT_FALSE(h.persisted.empty());
  EXPECT_EQ(h.persisted.back(), Lsn(0x210));
}

TEST(StreamLoop, AnIdleKeepaliveConfirmsItsWalEnd) {
  Harness h({100, 1 << 20});
  h.source.frames.push_back(Keepalive(0x500, /*reply=*/true));
  ASSERT_TRUE(h.Run().ok());
  ASSERT_FALSE(h.persisted.empty());
  EXPECT_EQ(h.persisted.back(), Lsn(0x500));
  EXPECT_EQ(h.MaxFlushReported(), Lsn(0x500));
}

TEST(StreamLoop, AKeepaliveInsideAnOpenTransactionConfirmsNothing) {
  Harness h({100, 1 << 20});
  h.source.frames.push_back(XLogData(0x150, BeginMsg(0x700, 9)));
  h.source.frames.push_back(XLogData(0x150, RelationMsg()));
  h.source.frames.push_back(XLogData(0x160, InsertMsg(1)));
  h.source.frames.push_back(Keepalive(0x600, /*reply=*/true));
  ASSERT_TRUE(h.Run().ok());
  EXPECT_TRUE(h.persisted.empty());
  EXPECT_EQ(h.MaxFlushReported(), Lsn(0x100));
  // The write position still says how far the server's data was received.
  EXPECT_EQ(h.source.statuses.back().first, Lsn(0x600));
}

TEST(StreamLoop, BackpressureStopsReadingWhileStatusUpdatesContinue) {
  Harness h({1, 1 << 20});  // one event in flight at most
  TwoTransactions(h.source);
  h.sink->hold = true;  // the broker acknowledges nothing for a while
  int next_calls_when_blocked = -1;
  size_t statuses_when_blocked = 0;
  Status s = h.Run(
      [&](int turn) {
        h.clock.now += std::chrono::seconds(11);  // a status interval per turn
        if (turn == 5) {
          next_calls_when_blocked = h.source.next_calls;
          statuses_when_blocked = h.source.statuses.size();
        }
        if (turn == 20) {
          EXPECT_EQ(h.source.next_calls, next_calls_when_blocked) << "read while blocked";
          EXPECT_GE(h.source.statuses.size(), statuses_when_blocked + 14)
              << "status updates stopped while blocked";
          EXPECT_EQ(h.sink->sent, 1);
          EXPECT_EQ(h.source.frames.size(), 5u);  // Begin, Relation, Insert read; the rest waits
          h.sink->hold = false;                   // acknowledgements resume
        }
      },
      25);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_TRUE(h.source.frames.empty());
  EXPECT_EQ(h.sink->sent, 3);
  EXPECT_EQ(h.MaxFlushReported(), Lsn(0x310));
}

}  // namespace
}  // namespace cdc::connector
