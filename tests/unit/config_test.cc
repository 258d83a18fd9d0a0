#include "config/config_loader.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <unistd.h>

namespace cdc::config {
namespace {

const char kMinimal[] = R"(
name: shop
source:
  dsn: "host=127.0.0.1 dbname=shop user=cdc"
sink:
  type: kafka
  kafka:
    bootstrap.servers: "127.0.0.1:9092"
)";

std::string ErrorOf(const std::string& yaml) {
  try {
    LoadString(yaml);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(Config, MinimalGetsDefaults) {
  Config c = LoadString(kMinimal);
  EXPECT_EQ(c.name, "shop");
  EXPECT_EQ(c.source.slot, "pgcdc_shop");
  EXPECT_EQ(c.source.publication, "pgcdc_shop");
  EXPECT_EQ(c.snapshot.mode, "initial");
  EXPECT_EQ(c.snapshot.parallelism, 2);
  EXPECT_TRUE(c.format.schemas);
  EXPECT_TRUE(c.format.tombstones);
  EXPECT_EQ(c.format.skipped_operations, std::vector<std::string>{"t"});
  EXPECT_EQ(c.offsets.file, "./pgcdc-shop.offsets");
  EXPECT_EQ(c.sink.kafka.at("bootstrap.servers"), "127.0.0.1:9092");
}

TEST(Config, DerivedNamesAreValidSlotNames) {
  Config c = LoadString(std::string(kMinimal).replace(7, 4, "Shop-EU.1"));
  EXPECT_EQ(c.source.slot, "pgcdc_shop_eu_1");
}

TEST(Config, ErrorsNameTheKey) {
  EXPECT_EQ(ErrorOf("name: x\n"), "source: required section is missing");
  EXPECT_EQ(ErrorOf("name: x\nsource: {}\n"), "source.dsn: required key is missing");
  EXPECT_EQ(ErrorOf(std::string(kMinimal) + "bogus: 1\n"), "bogus: unknown key");
  EXPECT_EQ(ErrorOf(std::string(kMinimal) + "format:\n  schemaz: true\n"),
            "format.schemaz: unknown key");
  EXPECT_EQ(ErrorOf(std::string(kMinimal) + "format:\n  schemas: maybe\n"),
            "format.schemas: must be true or false, got 'maybe'");
  EXPECT_EQ(ErrorOf("name: x\nsource:\n  dsn: d\n  status_interval_ms: abc\nsink:\n  type: stdout\n"),
            "source.status_interval_ms: must be an integer");
  EXPECT_EQ(ErrorOf("name: x\nsource:\n  dsn: d\n  status_interval_ms: 5\nsink:\n  type: stdout\n"),
            "source.status_interval_ms: must be between 100 and 3600000, got 5");
  EXPECT_EQ(ErrorOf(std::string(kMinimal) + "format:\n  decimal_handling: exact\n"),
            "format.decimal_handling: must be one of precise, double, string, got 'exact'");
  EXPECT_EQ(ErrorOf("name: x\nsource:\n  dsn: d\nsink:\n  type: kafka\n"),
            "sink.kafka.bootstrap.servers: required key is missing (sink.type is kafka)");
  EXPECT_EQ(ErrorOf("name: x\nsource:\n  dsn: d\n  slot: Bad-Slot\nsink:\n  type: stdout\n"),
            "source.slot: 'Bad-Slot' is not a valid slot name (lower-case letters, digits and _, "
            "at most 63)");
  EXPECT_NE(ErrorOf("name: [unclosed\n").find("invalid YAML at line"), std::string::npos);
  EXPECT_EQ(ErrorOf("- a\n- b\n"), "configuration: must be a mapping, got a list");
  EXPECT_EQ(ErrorOf("name: x\nsource:\n  dsn: d\nsink:\n  type: stdout\nsnapshot:\n  mode: nope\n"),
            "snapshot.mode: must be one of initial, initial_only, never, always, when_needed, got 'nope'");
}

TEST(Config, ExpandsEnvironment) {
  ::setenv("PGCDC_TEST_PW", "s3cret", 1);
  Config c = LoadString(
      "name: x\nsource:\n  dsn: \"password=${PGCDC_TEST_PW} cost=$$5\"\nsink:\n  type: stdout\n");
  EXPECT_EQ(c.source.dsn, "password=s3cret cost=$5");
  ::unsetenv("PGCDC_TEST_UNSET");
  EXPECT_EQ(ErrorOf("name: x\nsource:\n  dsn: \"${PGCDC_TEST_UNSET}\"\nsink:\n  type: stdout\n"),
            "source.dsn: environment variable PGCDC_TEST_UNSET is not set");
}

// The documented examples must stay loadable: every key in them is real.
TEST(Config, ShippedExamplesAreValid) {
  ::setenv("PGCDC_PASSWORD", "x", 1);
  ::setenv("POSTGRES_PASSWORD", "x", 1);
  Config c = LoadFile(std::string(PGCDC_SOURCE_DIR) + "/config/pgcdc.example.yaml");
  EXPECT_EQ(c.name, "shop");
  EXPECT_EQ(c.source.column_exclude_list.size(), 1u);
  EXPECT_EQ(c.format.message_key_columns.size(), 1u);
  Config compose = LoadFile(std::string(PGCDC_SOURCE_DIR) + "/config/docker-compose.pgcdc.yaml");
  EXPECT_EQ(compose.sink.kafka.at("bootstrap.servers"), "kafka:9092");
}

TEST(Config, ReadsSecretFiles) {
  const std::string path = ::testing::TempDir() + "pgcdc-secret-" + std::to_string(::getpid());
  {
    std::ofstream f(path);
    f << "s3cr3t\n";
  }
  Config c = LoadString("name: x\nsource:\n  dsn: \"password=${file:" + path +
                        "}\"\nsink:\n  type: stdout\n");
  EXPECT_EQ(c.source.dsn, "password=s3cr3t");
  std::remove(path.c_str());
  EXPECT_EQ(ErrorOf("name: x\nsource:\n  dsn: \"${file:/nonexistent/pw}\"\nsink:\n  type: stdout\n"),
            "source.dsn: cannot read secret file /nonexistent/pw");
}

TEST(Config, ErrorsAreOneLineWhateverTheInput) {
  // Found by the config fuzzer: yaml-cpp names the offending (control) character verbatim.
  const std::string err = ErrorOf("name: x\nsource:\n  dsn: \"\\\x0a\"\n");
  EXPECT_EQ(err.find('\n'), std::string::npos) << err;
  EXPECT_EQ(ErrorOf(std::string("name: \"a\x01") + "\"\nfoo: 1\n").find('\x01'), std::string::npos);
}

TEST(Config, GlobMatch) {
  EXPECT_TRUE(GlobMatch("public.*", "public.orders"));
  EXPECT_TRUE(GlobMatch("*.orders", "sales.orders"));
  EXPECT_TRUE(GlobMatch("public.ord*s", "public.orders"));
  EXPECT_FALSE(GlobMatch("public.orders", "public.orders2"));
  EXPECT_FALSE(GlobMatch("public.*", "private.orders"));
}

}  // namespace
}  // namespace cdc::config
