// The schema registry client's rules against a scripted registry (an in-process cpp-httplib
// server on loopback): one request per (subject, schema), the failover to a second url, retries
// through 5xx and an unreachable registry (with /readyz's flag raised meanwhile), one clear line
// for each refusal (incompatible, invalid, unknown subject, bad credentials) that never holds the
// password, the lookup and latest-version modes, and subject names as URL path segments. The
// integration test (tests/integration/test_avro.py) runs the same client against the test
// registry in tests/tools; this one scripts answers a real registry gives only under faults.

#include "connector/schema_registry_client.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

namespace cdc::connector {
namespace {

// A registry as a script: the n-th request gets plan[n] ("ok", "500", "409", "422", "404",
// "401"); past the plan, "ok". It records every request's method, path, body and credentials.
class FakeRegistry {
 public:
  explicit FakeRegistry(std::vector<std::string> plan) : plan_(std::move(plan)) {
    auto handle = [this](const httplib::Request& req, httplib::Response& res) { Handle(req, res); };
    server_.Post(".*", handle);
    server_.Get(".*", handle);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~FakeRegistry() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  struct Seen {
    std::string method, path, body, authorization;
  };
  std::vector<Seen> seen() {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }
  std::string latest_schema = "{\"type\":\"string\"}";

 private:
  void Handle(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(mu_);
    const std::string step = seen_.size() < plan_.size() ? plan_[seen_.size()] : "ok";
    seen_.push_back({req.method, req.target, req.body, req.get_header_value("Authorization")});
    const char* type = "application/vnd.schemaregistry.v1+json";
    if (step == "ok") {
      nlohmann::json reply = {{"id", 7}};
      if (req.path.find("/versions/latest") != std::string::npos) {
        reply = {{"subject", "s"}, {"version", 3}, {"id", 9}, {"schema", latest_schema}};
      } else if (req.path.rfind("/config", 0) == 0) {
        reply = {{"compatibilityLevel", "FULL"}};
      }
      res.set_content(reply.dump(), type);
      return;
    }
    res.status = std::stoi(step);
    const int code = res.status == 404   ? 40401
                     : res.status == 422 ? 42201
                     : res.status == 500 ? 50001
                                         : res.status;
    const std::string message =
        res.status == 409
            ? "Schema being registered is incompatible with an earlier schema for "
              "subject \"pg.public.t-value\", details: [READER_FIELD_MISSING_DEFAULT_VALUE]"
            : "scripted " + step;
    res.set_content(nlohmann::json({{"error_code", code}, {"message", message}}).dump(), type);
  }

  std::vector<std::string> plan_;
  std::mutex mu_;
  std::vector<Seen> seen_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

config::SchemaRegistryConfig ConfigFor(const std::string& url) {
  config::SchemaRegistryConfig c;
  c.urls = {url};
  c.request_timeout_ms = 2000;
  return c;
}

constexpr char kSchema[] =
    R"({"type":"record","name":"Key","fields":[{"name":"id","type":"int"}]})";

TEST(SchemaRegistryClient, RegistersOncePerSubjectAndSchema) {
  FakeRegistry reg({});
  StopSignal stop;
  Metrics metrics;
  SchemaRegistryClient client(ConfigFor(reg.url()), stop, &metrics);
  int32_t id = 0;
  ASSERT_TRUE(client.IdFor("pg.public.t-key", SchemaType::kAvro, kSchema, &id).ok());
  EXPECT_EQ(id, 7);
  ASSERT_TRUE(client.IdFor("pg.public.t-key", SchemaType::kAvro, kSchema, &id).ok());
  ASSERT_TRUE(client.IdFor("pg.public.t-key", SchemaType::kAvro, kSchema, &id).ok());
  const auto seen = reg.seen();
  ASSERT_EQ(seen.size(), 1U);  // cached after the first answer
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].path, "/subjects/pg.public.t-key/versions");
  EXPECT_EQ(nlohmann::json::parse(seen[0].body), nlohmann::json({{"schema", kSchema}}));
  EXPECT_EQ(metrics.registry_requests.load(), 1U);
  // Another schema text under the subject (a relation change) is a new request.
  ASSERT_TRUE(client.IdFor("pg.public.t-key", SchemaType::kAvro, "\"string\"", &id).ok());
  EXPECT_EQ(reg.seen().size(), 2U);
}

TEST(SchemaRegistryClient, RetriesThroughServerErrorsAndOutages) {
  FakeRegistry reg({"500", "500"});
  StopSignal stop;
  Metrics metrics;
  auto cfg = ConfigFor(reg.url());
  // A registry that refuses connections first (nothing listens on the first url), then answers
  // 500 twice: the id still comes, and the down flag is raised meanwhile and lowered after.
  cfg.urls.insert(cfg.urls.begin(), "http://127.0.0.1:1");
  SchemaRegistryClient client(cfg, stop, &metrics);
  std::atomic<bool> saw_down{false};
  std::atomic<bool> done{false};
  std::thread watch([&] {
    while (!done) {
      if (metrics.registry_down_since_unix_ms.load() != 0) saw_down = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  int32_t id = 0;
  Status s = client.IdFor("x-value", SchemaType::kAvro, kSchema, &id);
  done = true;
  watch.join();
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(id, 7);
  EXPECT_EQ(reg.seen().size(), 3U);  // 500, 500, ok (each after the dead url failed over)
  EXPECT_TRUE(saw_down);
  EXPECT_EQ(metrics.registry_down_since_unix_ms.load(), 0);
}

TEST(SchemaRegistryClient, StopEndsTheRetries) {
  StopSignal stop;
  SchemaRegistryClient client(ConfigFor("http://127.0.0.1:1"), stop, nullptr);
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    stop.Request();
  });
  int32_t id = 0;
  Status s = client.IdFor("x-value", SchemaType::kAvro, kSchema, &id);
  stopper.join();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("stopping"), std::string::npos) << s.message();
}

TEST(SchemaRegistryClient, RefusalsAreOneLineWithTheWayOut) {
  struct Case {
    std::string answer, expect1, expect2;
  };
  for (const Case& c : std::vector<Case>{
           {"409", "HTTP 409 (error_code 409): Schema being registered is incompatible",
            "PUT /config/pg.public.t-value"},
           {"422", "HTTP 422 (error_code 42201)", "fix the registry or the schema"},
           {"401", "HTTP 401", "basic_auth"}}) {
    FakeRegistry reg({c.answer});
    StopSignal stop;
    auto cfg = ConfigFor(reg.url());
    cfg.user = "cdc";
    cfg.password = "s3cret-pw";
    SchemaRegistryClient client(cfg, stop, nullptr);
    int32_t id = 0;
    Status s = client.IdFor("pg.public.t-value", SchemaType::kAvro, kSchema, &id);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.message().find("subject 'pg.public.t-value'"), std::string::npos) << s.message();
    EXPECT_NE(s.message().find(c.expect1), std::string::npos) << s.message();
    EXPECT_NE(s.message().find(c.expect2), std::string::npos) << s.message();
    EXPECT_EQ(s.message().find("s3cret-pw"), std::string::npos) << s.message();
    EXPECT_EQ(s.message().find('\n'), std::string::npos);
    EXPECT_EQ(reg.seen().size(), 1U);  // a refusal is not retried
    EXPECT_EQ(reg.seen()[0].authorization, "Basic Y2RjOnMzY3JldC1wdw==");  // cdc:s3cret-pw
  }
}

TEST(SchemaRegistryClient, LookupModeAndLatestVersion) {
  {
    FakeRegistry reg({"404"});
    StopSignal stop;
    auto cfg = ConfigFor(reg.url());
    cfg.auto_register = false;
    SchemaRegistryClient client(cfg, stop, nullptr);
    int32_t id = 0;
    Status s = client.IdFor("a b/c", SchemaType::kAvro, kSchema, &id);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.message().find("cannot look up"), std::string::npos) << s.message();
    EXPECT_NE(s.message().find("auto_register: true"), std::string::npos) << s.message();
    EXPECT_EQ(reg.seen()[0].path, "/subjects/a%20b%2Fc");  // POST /subjects/{s}: lookup
    EXPECT_EQ(reg.seen()[0].method, "POST");
  }
  {
    FakeRegistry reg({});
    reg.latest_schema = kSchema;
    StopSignal stop;
    auto cfg = ConfigFor(reg.url());
    cfg.auto_register = false;
    cfg.use_latest_version = true;
    SchemaRegistryClient client(cfg, stop, nullptr);
    int32_t id = 0;
    ASSERT_TRUE(client.IdFor("t-value", SchemaType::kAvro, kSchema, &id).ok());
    EXPECT_EQ(id, 9);
    EXPECT_EQ(reg.seen()[0].path, "/subjects/t-value/versions/latest");
    // The latest version is not the schema pgcdc writes: refused, not written under its id.
    Status s = client.IdFor("u-value", SchemaType::kAvro, "\"string\"", &id);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.message().find("is not the schema pgcdc writes"), std::string::npos);
  }
}

TEST(SchemaRegistryClient, CompatibilityFallsBackToTheGlobalLevel) {
  FakeRegistry reg({"404"});  // no subject-level config (40401 here), then the global one
  StopSignal stop;
  SchemaRegistryClient client(ConfigFor(reg.url()), stop, nullptr);
  auto level = client.CompatibilityOf("pg.public.t-value");
  ASSERT_TRUE(level.ok()) << level.status().message();
  EXPECT_EQ(*level, "FULL");
  ASSERT_EQ(reg.seen().size(), 2U);
  EXPECT_EQ(reg.seen()[0].path, "/config/pg.public.t-value");
  EXPECT_EQ(reg.seen()[1].path, "/config");
}

}  // namespace
}  // namespace cdc::connector
