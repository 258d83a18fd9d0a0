#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>

#include "config/config_loader.h"
#include "config/conninfo.h"
#include "config/redact.h"

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
  EXPECT_EQ(c.snapshot.mode, SnapshotMode::kInitial);
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
  EXPECT_EQ(
      ErrorOf(
          "name: x\nsource:\n  dsn: dbname=d\n  status_interval_ms: abc\nsink:\n  type: stdout\n"),
      "source.status_interval_ms: must be an integer");
  EXPECT_EQ(
      ErrorOf(
          "name: x\nsource:\n  dsn: dbname=d\n  status_interval_ms: 5\nsink:\n  type: stdout\n"),
      "source.status_interval_ms: must be between 100 and 3600000, got 5");
  EXPECT_EQ(ErrorOf(std::string(kMinimal) + "format:\n  decimal_handling: exact\n"),
            "format.decimal_handling: must be one of precise, double, string, got 'exact'");
  EXPECT_EQ(ErrorOf("name: x\nsource:\n  dsn: dbname=d\nsink:\n  type: kafka\n"),
            "sink.kafka.bootstrap.servers: required key is missing (sink.type is kafka)");
  EXPECT_EQ(ErrorOf("name: x\nsource:\n  dsn: dbname=d\n  slot: Bad-Slot\nsink:\n  type: stdout\n"),
            "source.slot: 'Bad-Slot' is not a valid slot name (lower-case letters, digits and _, "
            "at most 63)");
  EXPECT_NE(ErrorOf("name: [unclosed\n").find("invalid YAML at line"), std::string::npos);
  EXPECT_EQ(ErrorOf("- a\n- b\n"), "configuration: must be a mapping, got a list");
  EXPECT_EQ(
      ErrorOf(
          "name: x\nsource:\n  dsn: dbname=d\nsink:\n  type: stdout\nsnapshot:\n  mode: nope\n"),
      "snapshot.mode: must be one of initial, initial_only, never, always, when_needed, got "
      "'nope'");
}

TEST(Config, ExpandsEnvironment) {
  ::setenv("PGCDC_TEST_PW", "s3cret", 1);
  Config c = LoadString(
      "name: x\nsource:\n  dsn: \"password=${PGCDC_TEST_PW} cost=$$5\"\nsink:\n  type: stdout\n");
  EXPECT_EQ(c.source.dsn, "password='s3cret' cost=$5");
  ::unsetenv("PGCDC_TEST_UNSET");
  EXPECT_EQ(ErrorOf("name: x\nsource:\n  dsn: \"${PGCDC_TEST_UNSET}\"\nsink:\n  type: stdout\n"),
            "source.dsn: environment variable PGCDC_TEST_UNSET is not set");
}

// The documented examples must stay loadable: every key in them is real.
TEST(Config, RedisMaxLen) {
  const std::string redis =
      "name: x\nsource:\n  dsn: \"dbname=x\"\nsink:\n  type: redis\n"
      "  redis:\n    url: \"redis://127.0.0.1:6379/0\"\n";
  Config c = LoadString(redis);
  EXPECT_EQ(c.sink.redis.max_len, 0);  // no trimming, as Debezium Server
  EXPECT_TRUE(c.sink.redis.max_len_approximate);
  c = LoadString(redis + "    max_len: 100000\n    max_len_approximate: false\n");
  EXPECT_EQ(c.sink.redis.max_len, 100000);
  EXPECT_FALSE(c.sink.redis.max_len_approximate);
  EXPECT_NE(ErrorOf(redis + "    max_len: -1\n").find("sink.redis.max_len: must be between 0"),
            std::string::npos);
  EXPECT_NE(ErrorOf(redis + "    max_len: lots\n").find("sink.redis.max_len: must be an integer"),
            std::string::npos);
}

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
  EXPECT_EQ(c.source.dsn, "password='s3cr3t'");
  std::remove(path.c_str());
  EXPECT_EQ(
      ErrorOf("name: x\nsource:\n  dsn: \"${file:/nonexistent/pw}\"\nsink:\n  type: stdout\n"),
      "source.dsn: cannot read secret file /nonexistent/pw");
}

TEST(Config, ErrorsAreOneLineWhateverTheInput) {
  // Found by the config fuzzer: yaml-cpp names the offending (control) character verbatim.
  const std::string err = ErrorOf("name: x\nsource:\n  dsn: \"\\\x0a\"\n");
  EXPECT_EQ(err.find('\n'), std::string::npos) << err;
  EXPECT_EQ(ErrorOf(std::string("name: \"a\x01") + "\"\nfoo: 1\n").find('\x01'), std::string::npos);
}

// What libpq itself reads from a connection string: keyword -> value (unset keywords absent).
std::map<std::string, std::string> LibpqReads(const std::string& conninfo) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(conninfo.c_str(), &err);
  std::map<std::string, std::string> out;
  if (opts == nullptr) {
    out["<error>"] = err ? err : "out of memory";
    PQfreemem(err);
    return out;
  }
  for (PQconninfoOption* o = opts; o->keyword != nullptr; ++o) {
    if (o->val != nullptr) out[o->keyword] = o->val;
  }
  PQconninfoFree(opts);
  return out;
}

std::string DsnOf(const std::string& dsn_yaml_value) {
  return LoadString("name: x\nsource:\n  dsn: '" + dsn_yaml_value + "'\nsink:\n  type: stdout\n")
      .source.dsn;
}

// Passwords a user may really have: every printable character libpq's syntax cares about.
std::vector<std::string> HostileValues() {
  std::string long_one;
  for (int i = 0; long_one.size() < 1000; ++i) {
    long_one += static_cast<char>(' ' + i % 95);  // every printable ASCII character, in turn
    if (i % 50 == 0) long_one += "\xc3\xa4\xe2\x9c\x93";  // a, check mark (UTF-8)
  }
  return {"p a s s", "it's",     "say \"hi\"", "back\\slash", "a=b c=d", "'",
          "\\",      "'\\''",    " lead",      "trail ",      "tab\tin", "p\xc3\xa4ss w\xc3\xb6rd",
          "${NOPE}", "$$dollar", "}{",         long_one,      ""};
}

TEST(ConfigDsn, WholeValueReferencesAreQuotedForLibpq) {
  for (const std::string& pw : HostileValues()) {
    ::setenv("PGCDC_TEST_PW", pw.c_str(), 1);
    for (const char* dsn : {"password=${PGCDC_TEST_PW}", "host=h password=${PGCDC_TEST_PW} user=u",
                            "password = ${PGCDC_TEST_PW}\tport=5"}) {
      auto got = LibpqReads(DsnOf(dsn));
      EXPECT_EQ(got["password"], pw) << dsn << " " << pw;
      EXPECT_EQ(got.count("<error>"), 0u) << got["<error>"];
      if (std::string(dsn).find("user") != std::string::npos) {
        EXPECT_EQ(got["user"], "u");
      }
    }
  }
  ::unsetenv("PGCDC_TEST_PW");
}

TEST(ConfigDsn, ReferencesInsideValuesAreEscapedOnly) {
  for (const std::string& pw : HostileValues()) {
    ::setenv("PGCDC_TEST_PW", pw.c_str(), 1);
    // Already quoted by the user: escaped in place, no second pair of quotes.
    EXPECT_EQ(LibpqReads(DsnOf("password=''${PGCDC_TEST_PW}'' user=u"))["password"], pw);
    // Part of a longer value, quoted or not.
    EXPECT_EQ(LibpqReads(DsnOf("password=''pre ${PGCDC_TEST_PW} post''"))["password"],
              "pre " + pw + " post");
    EXPECT_EQ(LibpqReads(DsnOf("password=pre${PGCDC_TEST_PW}post user=u"))["password"],
              "pre" + pw + "post");
    EXPECT_EQ(LibpqReads(DsnOf("password=${PGCDC_TEST_PW}${PGCDC_TEST_PW}"))["password"], pw + pw);
  }
  ::unsetenv("PGCDC_TEST_PW");
}

TEST(ConfigDsn, UriFormIsPercentEncoded) {
  for (const std::string& pw : HostileValues()) {
    ::setenv("PGCDC_TEST_PW", pw.c_str(), 1);
    auto got = LibpqReads(DsnOf("postgresql://cdc:${PGCDC_TEST_PW}@127.0.0.1:5432/shop"));
    EXPECT_EQ(got["password"], pw);
    EXPECT_EQ(got["user"], "cdc");
    EXPECT_EQ(got["dbname"], "shop");
    got = LibpqReads(DsnOf("postgres://127.0.0.1/shop?user=cdc&password=${PGCDC_TEST_PW}"));
    EXPECT_EQ(got["password"], pw);
  }
  ::unsetenv("PGCDC_TEST_PW");
}

TEST(ConfigDsn, AWholeStringFromOneVariableIsInsertedAsItIs) {
  ::setenv("PGCDC_TEST_DSN", "host=h password='a b' user=u", 1);
  EXPECT_EQ(DsnOf("${PGCDC_TEST_DSN}"), "host=h password='a b' user=u");
  EXPECT_EQ(DsnOf("${PGCDC_TEST_DSN} port=5433"), "host=h password='a b' user=u port=5433");
  ::setenv("PGCDC_TEST_DSN", "postgresql://u:p%20w@h/db", 1);
  EXPECT_EQ(LibpqReads(DsnOf("${PGCDC_TEST_DSN}"))["password"], "p w");
  ::unsetenv("PGCDC_TEST_DSN");
}

TEST(ConfigDsn, SyntaxErrorsNameNoValue) {
  // A literal password with a space, unquoted: libpq would say 'missing "=" after "ghij"'.
  EXPECT_EQ(ErrorOf("name: x\nsource:\n  dsn: host=h password=abcd efgh ijkl\n"),
            "source.dsn: not a valid connection string: a word without \"=\" after the value of "
            "password (write keyword=value pairs; quote a value that holds spaces or quotes as "
            "'value', with \\' and \\\\ inside)");
  std::string unterminated = ErrorOf("name: x\nsource:\n  dsn: \"password='abcd efgh host=h\"\n");
  EXPECT_NE(unterminated.find(": the quoted value of password has no closing quote ("),
            std::string::npos)
      << unterminated;
  unterminated = ErrorOf("name: x\nsource:\n  dsn: \"port=1 abcd='efgh host=h\"\n");
  EXPECT_NE(unterminated.find(": a quoted value without its closing quote after the value of port"),
            std::string::npos)
      << unterminated;
  // A word that may be the rest of a password is never named, not even as a keyword.
  const std::string err = ErrorOf("name: x\nsource:\n  dsn: password=ab cdefgh=1 x\n");
  EXPECT_EQ(err.find("cdefgh"), std::string::npos) << err;
  EXPECT_NE(err.find("after keyword/value pair 2"), std::string::npos) << err;
  EXPECT_NE(ErrorOf("name: x\nsource:\n  dsn: \"=x\"\n").find("a value without a keyword"),
            std::string::npos);
  EXPECT_EQ(ErrorOf("name: x\nsource:\n  dsn: d\n").rfind("source.dsn: not a valid", 0), 0u);
}

TEST(Redact, MasksSecretsAndEveryFragmentOfThem) {
  AddSecret("Tr0ub4dor&3 horse");
  EXPECT_EQ(Redact("password=Tr0ub4dor&3 horse!"), "password=[redacted]!");
  // libpq quotes the rest of an unquoted value: a fragment is masked as well.
  EXPECT_EQ(Redact("missing \"=\" after \"horse\""), "missing \"=\" after \"[redacted]\"");
  EXPECT_EQ(Redact("ub4d and 3 ho"), "[redacted] and [redacted]");
  EXPECT_EQ(Redact("Tro and ub4"), "Tro and ub4");  // fewer than 4 bytes: ordinary text
  EXPECT_EQ(Redact("nothing here"), "nothing here");
  AddSecret("abc");  // too short to search for without masking ordinary words
  EXPECT_EQ(Redact("abc"), "abc");
}

TEST(Redact, MasksWholeUtf8Characters) {
  AddSecret(
      "gr\xc3\xbc\xc3\x9f"
      "e99");  // "grüße99"
  // "üße9" is a fragment; the text around it keeps whole characters.
  EXPECT_EQ(Redact("x\xc3\xbc\xc3\x9f"
                   "e9!"),
            "x[redacted]!");
  EXPECT_EQ(Redact("\xc3\x9f"
                   "e99"),
            "[redacted]");
}

TEST(Redact, TheLoaderRegistersConfiguredSecrets) {
  ::setenv("PGCDC_TEST_SASL", "sasl-pw-7f3a", 1);
  ::setenv("PGCDC_TEST_PW", "pg pw 'q9z", 1);
  LoadString(
      "name: x\nsource:\n  dsn: \"host=h password=${PGCDC_TEST_PW} sslpassword=key-pw-55d\"\n"
      "sink:\n  type: kafka\n  kafka:\n    bootstrap.servers: b:9092\n"
      "    sasl.password: ${PGCDC_TEST_SASL}\n    ssl.key.password: literal-kp-81\n"
      "    sasl.oauthbearer.client.secret: oauth-cs-44\n    client.id: plain-value\n");
  EXPECT_EQ(Redact("sasl-pw-7f3a|pg pw 'q9z|key-pw-55d|literal-kp-81|oauth-cs-44|plain-value"),
            "[redacted]|[redacted]|[redacted]|[redacted]|[redacted]|plain-value");
  // The form the password takes inside the expanded string is masked too.
  EXPECT_EQ(Redact("'pg pw \\'q9z'"), "[redacted]");
  EXPECT_TRUE(IsSecretKafkaProperty("ssl.keystore.password"));
  EXPECT_FALSE(IsSecretKafkaProperty("bootstrap.servers"));
  ::unsetenv("PGCDC_TEST_SASL");
  ::unsetenv("PGCDC_TEST_PW");
}

}  // namespace
}  // namespace cdc::config
