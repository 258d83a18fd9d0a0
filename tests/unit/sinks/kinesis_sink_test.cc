// The Kinesis sink's ordering and retry rules against a scripted Kinesis endpoint (an in-process
// cpp-httplib server on loopback answering PutRecords): a record Kinesis fails is sent again
// before anything later of its key, nothing of a key goes out twice in one call, and a 5xx answer
// reports nothing until a later call succeeds. kinesalite (the integration test's emulator) never
// fails single records, so this is where that path is exercised.

#include "sinks/kinesis_sink.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <openssl/evp.h>

#include <chrono>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

namespace cdc::sinks {
namespace {

std::string Base64Decode(const std::string& in) {
  std::string out(in.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  for (size_t i = in.size(); i > 0 && in[i - 1] == '='; --i) out.pop_back();  // padding
  return out;
}

// Kinesis as a script: answers the n-th PutRecords per `plan` ("ok", "500", or "fail0": fail the
// first record of the call) and keeps what it stored, per partition key, in order.
class FakeKinesis {
 public:
  explicit FakeKinesis(std::vector<std::string> plan) : plan_(std::move(plan)) {
    server_.Post("/",
                 [this](const httplib::Request& req, httplib::Response& res) { Handle(req, res); });
    // Listening once bound: connections wait in the backlog until the thread accepts them.
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // stop() is lost on a server not yet running: wait for it, so the destructor can end it.
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~FakeKinesis() {
    server_.stop();
    thread_.join();
  }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

  std::mutex mu;
  std::vector<std::vector<std::string>> calls;             // "key=value" per record, per call
  std::map<std::string, std::vector<std::string>> stored;  // key -> values, in stored order
  std::string authorization;

 private:
  void Handle(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(mu);
    authorization = req.get_header_value("Authorization");
    if (req.get_header_value("X-Amz-Target") != "Kinesis_20131202.PutRecords") {
      res.status = 400;
      res.set_content(R"({"__type":"ValidationException","message":"unexpected"})",
                      "application/x-amz-json-1.1");
      return;
    }
    const std::string step = calls.size() < plan_.size() ? plan_[calls.size()] : "ok";
    auto body = nlohmann::json::parse(req.body);
    std::vector<std::string> call;
    nlohmann::json results = nlohmann::json::array();
    for (size_t i = 0; i < body["Records"].size(); ++i) {
      const auto& r = body["Records"][i];
      const std::string key = r["PartitionKey"];
      const std::string value = Base64Decode(r["Data"].get<std::string>());
      call.push_back(key + "=" + value);
      if (step == "500" || (step == "fail0" && i == 0)) {
        results.push_back({{"ErrorCode", "ProvisionedThroughputExceededException"},
                           {"ErrorMessage", "Rate exceeded for shard shardId-000000000000"}});
        continue;
      }
      stored[key].push_back(value);
      results.push_back({{"SequenceNumber", std::to_string(i)}, {"ShardId", "shardId-0"}});
    }
    calls.push_back(call);
    if (step == "500") {
      res.status = 500;
      res.set_content(R"({"__type":"InternalFailure"})", "application/x-amz-json-1.1");
      return;
    }
    nlohmann::json out = {{"FailedRecordCount", step == "fail0" ? 1 : 0}, {"Records", results}};
    res.set_content(out.dump(), "application/x-amz-json-1.1");
  }

  std::vector<std::string> plan_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

struct Reports : DeliveryListener {
  std::vector<std::pair<std::string, bool>> got;  // "key=value", ok
  void OnDelivery(void* opaque, size_t, const Status& s) override {
    got.emplace_back(*static_cast<std::string*>(opaque), s.ok());
  }
};

struct Ev {
  std::string key, value, tag;
};

void SendAll(KinesisSink& sink, std::vector<Ev>& events) {
  for (auto& e : events) {
    e.tag = e.key + "=" + e.value;
    ChangeEvent ev;
    ev.topic = "shop.public.t";
    ev.key = std::string_view(e.key);
    ev.value = std::string_view(e.value);
    ASSERT_TRUE(sink.Send(ev, &e.tag).ok());
  }
}

KinesisOptions Options(const FakeKinesis& k) {
  return KinesisOptions{k.endpoint(), "us-east-1", {"AKIDTEST", "secret", "", "test"}, false, 1};
}

TEST(KinesisSink, FailedRecordIsRetriedBeforeLaterRecordsOfItsKey) {
  FakeKinesis kinesis({"fail0"});
  Reports reports;
  std::vector<Ev> events{{"a", "1"}, {"b", "1"}, {"a", "2"}, {"a", "3"}, {"b", "2"}};
  {
    KinesisSink sink(Options(kinesis), &reports);
    SendAll(sink, events);
    ASSERT_TRUE(sink.Flush(20000).ok());
  }
  std::lock_guard<std::mutex> lock(kinesis.mu);
  // Kinesis holds each key's records in change order, a1 included.
  EXPECT_EQ(kinesis.stored["a"], (std::vector<std::string>{"1", "2", "3"}));
  EXPECT_EQ(kinesis.stored["b"], (std::vector<std::string>{"1", "2"}));
  // One record per key per call; a1 failed in the first call and goes first in the second.
  ASSERT_GE(kinesis.calls.size(), 4u);
  EXPECT_EQ(kinesis.calls[0], (std::vector<std::string>{"a=1", "b=1"}));
  EXPECT_EQ(kinesis.calls[1], (std::vector<std::string>{"a=1", "b=2"}));
  EXPECT_EQ(kinesis.calls[2], (std::vector<std::string>{"a=2"}));
  EXPECT_EQ(kinesis.calls[3], (std::vector<std::string>{"a=3"}));
  // Every event reported once, OK, in order per key (b=1 before a=1: other keys may pass).
  std::vector<std::pair<std::string, bool>> want{
      {"b=1", true}, {"a=1", true}, {"b=2", true}, {"a=2", true}, {"a=3", true}};
  EXPECT_EQ(reports.got, want);
  EXPECT_EQ(kinesis.authorization.rfind("AWS4-HMAC-SHA256 Credential=AKIDTEST/", 0), 0u)
      << kinesis.authorization;
}

TEST(KinesisSink, ServerErrorReportsNothingUntilACallSucceeds) {
  FakeKinesis kinesis({"500", "500"});
  Reports reports;
  std::vector<Ev> events{{"a", "1"}, {"b", "1"}};
  KinesisSink sink(Options(kinesis), &reports);
  SendAll(sink, events);
  sink.Poll(0);
  EXPECT_TRUE(reports.got.empty());
  ASSERT_TRUE(sink.Flush(20000).ok());
  std::lock_guard<std::mutex> lock(kinesis.mu);
  EXPECT_EQ(kinesis.calls.size(), 3u);
  EXPECT_EQ(reports.got.size(), 2u);
  EXPECT_EQ(kinesis.stored["a"], (std::vector<std::string>{"1"}));
}

TEST(KinesisSink, TombstonesAreReportedNotWritten) {
  FakeKinesis kinesis({});
  Reports reports;
  std::string tag = "tombstone";
  KinesisSink sink(Options(kinesis), &reports);
  ChangeEvent ev;
  ev.topic = "shop.public.t";
  ev.key = std::string_view("a");
  ASSERT_TRUE(sink.Send(ev, &tag).ok());
  ASSERT_TRUE(sink.Flush(1000).ok());
  EXPECT_EQ(reports.got, (std::vector<std::pair<std::string, bool>>{{"tombstone", true}}));
  std::lock_guard<std::mutex> lock(kinesis.mu);
  EXPECT_TRUE(kinesis.calls.empty());
}

}  // namespace
}  // namespace cdc::sinks
