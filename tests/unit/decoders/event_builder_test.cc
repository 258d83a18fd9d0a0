#include "decoders/events/event_builder.h"

#include <gtest/gtest.h>

#include "tests/unit/decoders/event_builder_fixture.h"

namespace cdc::eb_test {
namespace {

TEST_F(EventBuilderTest, InsertWithSchemas) {
  EventBuilder b = Builder();
  const auto& t = Table();
  pgoutput::Insert ins{16446, Tuple{T("1"), T("Tom"), T("2025-11-25 19:48:47.887783+00")}};
  ASSERT_TRUE(b.OnInsert(t, ins, Txn(), Lsn(23044320), out_).ok());
  ASSERT_EQ(out_.events.size(), 1u);
  const auto& e = out_.events[0];
  EXPECT_EQ(e.topic, "shop.public.users");
  EXPECT_EQ(e.key->at("payload"), json::parse(R"({"id":1})"));
  EXPECT_EQ(e.key->at("schema"), json::parse(R"({"type":"struct","fields":[{"type":"int32",
      "optional":false,"field":"id"}],"optional":false,"name":"shop.public.users.Key"})"));
  const json& v = *e.value;
  EXPECT_EQ(v["schema"]["name"], "shop.public.users.Envelope");
  EXPECT_EQ(v["schema"]["version"], 2);
  std::vector<std::string> fields;
  for (const auto& f : v["schema"]["fields"]) fields.push_back(f["field"]);
  EXPECT_EQ(fields, (std::vector<std::string>{"before", "after", "source", "transaction", "op",
                                              "ts_ms", "ts_us", "ts_ns"}));
  const json& after_schema = v["schema"]["fields"][1];
  EXPECT_EQ(after_schema["name"], "shop.public.users.Value");
  EXPECT_EQ(after_schema["fields"][2]["name"], "io.debezium.time.ZonedTimestamp");
  EXPECT_EQ(after_schema["fields"][1]["optional"], true);

  const json& p = v["payload"];
  EXPECT_TRUE(p["before"].is_null());
  EXPECT_EQ(p["after"], json::parse(R"({"id":1,"name":"Tom",
      "updated_at":"2025-11-25T19:48:47.887783Z"})"));
  EXPECT_EQ(p["op"], "c");
  EXPECT_EQ(p["ts_ms"], 1700000000123);
  EXPECT_EQ(p["ts_us"], 1700000000123456);
  EXPECT_TRUE(p["transaction"].is_null());
  const json& s = p["source"];
  EXPECT_EQ(s["connector"], "postgresql");
  EXPECT_EQ(s["name"], "shop");
  EXPECT_EQ(s["db"], "appdb");
  EXPECT_EQ(s["schema"], "public");
  EXPECT_EQ(s["table"], "users");
  EXPECT_EQ(s["txId"], 492);
  EXPECT_EQ(s["lsn"], 23044320);
  EXPECT_EQ(s["ts_ms"], 1764100127887);
  EXPECT_EQ(s["ts_us"], 1764100127887783);
  EXPECT_EQ(s["snapshot"], "false");
  EXPECT_EQ(s["sequence"], "[\"23044000\",\"23044320\"]");
  EXPECT_TRUE(s["xmin"].is_null());
  EXPECT_TRUE(s["origin"].is_null());
  EXPECT_TRUE(s["origin_lsn"].is_null());
}

// Debezium 3.6's Source struct (checked against its records by test_debezium_diff.py): version
// 1, and origin/origin_lsn last, filled from the pgoutput Origin message.
TEST_F(EventBuilderTest, SourceSchemaAndOriginAsDebezium3) {
  EventBuilder b = Builder();
  const auto& t = Table();
  TxnContext& txn = Txn();
  txn.origin = "node_a";
  txn.origin_lsn = Lsn(777);
  pgoutput::Insert ins{16446, Tuple{T("1"), T("Tom"), N()}};
  ASSERT_TRUE(b.OnInsert(t, ins, txn, Lsn(23044320), out_).ok());
  const json& v = *out_.events[0].value;
  const json& schema = v["schema"]["fields"][2];
  EXPECT_EQ(schema["name"], "io.debezium.connector.postgresql.Source");
  EXPECT_EQ(schema["version"], 1);
  const json& fields = schema["fields"];
  ASSERT_EQ(fields.size(), 16u);
  EXPECT_EQ(fields[14], json::parse(R"({"type":"string","optional":true,"field":"origin"})"));
  EXPECT_EQ(fields[15], json::parse(R"({"type":"int64","optional":true,"field":"origin_lsn"})"));
  EXPECT_EQ(v["payload"]["source"]["origin"], "node_a");
  EXPECT_EQ(v["payload"]["source"]["origin_lsn"], 777);
}

TEST_F(EventBuilderTest, PayloadOnlyWithoutSchemas) {
  options_.schemas = false;
  EventBuilder b = Builder();
  const auto& t = Table();
  pgoutput::Insert ins{16446, Tuple{T("7"), N(), N()}};
  ASSERT_TRUE(b.OnInsert(t, ins, Txn(), Lsn(1), out_).ok());
  EXPECT_EQ(*out_.events[0].key, json::parse(R"({"id":7})"));
  EXPECT_FALSE(out_.events[0].value->contains("schema"));
  EXPECT_EQ((*out_.events[0].value)["after"]["name"], nullptr);
}

TEST_F(EventBuilderTest, UpdateKeepingKeyHasNoBefore) {
  EventBuilder b = Builder();
  const auto& t = Table();
  pgoutput::Update up{16446, 0, {}, Tuple{T("1"), T("Ann"), N()}};
  ASSERT_TRUE(b.OnUpdate(t, up, Txn(), Lsn(5), out_).ok());
  ASSERT_EQ(out_.events.size(), 1u);
  EXPECT_EQ(out_.events[0].op, 'u');
  EXPECT_TRUE((*out_.events[0].value)["payload"]["before"].is_null());
}

TEST_F(EventBuilderTest, DeleteThenTombstone) {
  EventBuilder b = Builder();
  const auto& t = Table();
  pgoutput::Delete del{16446, 'K', Tuple{T("1"), N(), N()}};
  ASSERT_TRUE(b.OnDelete(t, del, Txn(), Lsn(5), out_).ok());
  ASSERT_EQ(out_.events.size(), 2u);
  EXPECT_EQ(out_.events[0].op, 'd');
  EXPECT_EQ((*out_.events[0].value)["payload"]["before"],
            json::parse(R"({"id":1,"name":null,"updated_at":null})"));
  EXPECT_TRUE((*out_.events[0].value)["payload"]["after"].is_null());
  EXPECT_FALSE(out_.events[1].value.has_value());
  EXPECT_EQ(out_.events[1].key->at("payload"), json::parse(R"({"id":1})"));

  options_.tombstones = false;
  Collect quiet;
  EventBuilder b2 = Builder();
  ASSERT_TRUE(b2.OnDelete(t, del, Txn(), Lsn(5), quiet).ok());
  EXPECT_EQ(quiet.events.size(), 1u);
}

TEST_F(EventBuilderTest, KeyOnlyBeforeFillsRequiredColumnsWithZero) {
  pgoutput::Relation rel;
  rel.oid = 77;
  rel.nspname = "public";
  rel.relname = "accounts";
  rel.columns = {{1, "id", pgtype::kInt8, -1},
                 {0, "owner", pgtype::kText, -1},
                 {0, "balance", pgtype::kNumeric, ((12 << 16) | 2) + 4},
                 {0, "opened", pgtype::kTimestamptz, -1},
                 {0, "note", pgtype::kText, -1},
                 {0, "at", pgtype::kPoint, -1},
                 {0, "area", pgtype::kBox, -1},
                 {0, "ring", pgtype::kCircle, -1},
                 {0, "ln", pgtype::kLine, -1}};
  CatalogHints hints;
  hints.known = true;
  hints.primary_key = {"id"};
  hints.not_null = {"id", "owner", "balance", "opened", "at", "area", "ring", "ln"};
  const auto& t = **cache_.Update(rel, hints, true);
  EventBuilder b = Builder();
  pgoutput::Delete del{77, 'K', Tuple{T("5"), N(), N(), N(), N(), N(), N(), N(), N()}};
  ASSERT_TRUE(b.OnDelete(t, del, Txn(), Lsn(5), out_).ok());
  // As Debezium 3.6.1 (test_debezium_diff.py): the epoch without a fraction, the point's WKB;
  // the struct types get zero structs, never a bare 0.
  EXPECT_EQ((*out_.events[0].value)["payload"]["before"],
            json::parse(R"({"id":5,"owner":"","balance":"AA==",
                "opened":"1970-01-01T00:00:00Z","note":null,
                "at":{"x":0.0,"y":0.0,"wkb":"AQEAAAAAAAAAAAAAAAAAAAAAAAAA","srid":null},
                "area":{"wkb":"","srid":null,"extensions":{"type":"box"}},
                "ring":{"center":{"x":0.0,"y":0.0,"wkb":"AQEAAAAAAAAAAAAAAAAAAAAAAAAA","srid":null},
                        "radius":0.0},
                "ln":{"a":0.0,"b":0.0,"c":0.0}})"));
  // A real NULL in a FULL old row stays null.
  pgoutput::Delete full{77, 'O', Tuple{T("6"), T("x"), T("1.00"), N(), N(), N(), N(), N(), N()}};
  ASSERT_TRUE(b.OnDelete(t, full, Txn(), Lsn(6), out_).ok());
  EXPECT_TRUE((*out_.events[2].value)["payload"]["before"]["opened"].is_null());
}

TEST_F(EventBuilderTest, PrimaryKeyChangeIsDeleteTombstoneCreate) {
  EventBuilder b = Builder();
  const auto& t = Table();
  pgoutput::Update up{16446, 'K', Tuple{T("1"), N(), N()}, Tuple{T("2"), T("Tom"), N()}};
  ASSERT_TRUE(b.OnUpdate(t, up, Txn(), Lsn(5), out_).ok());
  ASSERT_EQ(out_.events.size(), 3u);
  EXPECT_EQ(out_.events[0].op, 'd');
  EXPECT_EQ(out_.events[0].key->at("payload"), json::parse(R"({"id":1})"));
  ASSERT_EQ(out_.events[0].headers.size(), 1u);
  EXPECT_EQ(out_.events[0].headers[0].first, "__debezium.newkey");
  EXPECT_EQ(json::parse(out_.events[0].headers[0].second), json::parse(R"({"id":2})"));
  EXPECT_FALSE(out_.events[1].value.has_value());
  EXPECT_EQ(out_.events[1].key->at("payload"), json::parse(R"({"id":1})"));
  EXPECT_EQ(out_.events[2].op, 'c');
  EXPECT_EQ(out_.events[2].key->at("payload"), json::parse(R"({"id":2})"));
  EXPECT_EQ(out_.events[2].headers[0].first, "__debezium.oldkey");
  // Debezium's tombstone of the moved key names the new key too.
  ASSERT_EQ(out_.events[1].headers.size(), 1u);
  EXPECT_EQ(out_.events[1].headers[0].first, "__debezium.newkey");
  EXPECT_EQ(json::parse(out_.events[1].headers[0].second), json::parse(R"({"id":2})"));
}

TEST_F(EventBuilderTest, UnchangedToastUsesPlaceholderOrOldRow) {
  EventBuilder b = Builder();
  const auto& t = Table();
  pgoutput::Update up{16446, 0, {}, Tuple{T("1"), U(), N()}};
  ASSERT_TRUE(b.OnUpdate(t, up, Txn(), Lsn(5), out_).ok());
  EXPECT_EQ((*out_.events[0].value)["payload"]["after"]["name"], "__debezium_unavailable_value");

  const auto& full = Table('f');
  pgoutput::Update up_full{16446, 'O', Tuple{T("1"), T("long text"), N()}, Tuple{T("1"), U(), N()}};
  ASSERT_TRUE(b.OnUpdate(full, up_full, Txn(), Lsn(6), out_).ok());
  const json& p = (*out_.events.back().value)["payload"];
  EXPECT_EQ(p["after"]["name"], "long text");
  EXPECT_EQ(p["before"]["name"], "long text");
  EXPECT_EQ(out_.events.back().key->at("payload"), json::parse(R"({"id":1})"));  // PK, not all cols
}

TEST_F(EventBuilderTest, FullIdentityWithoutPrimaryKeyHasNullKey) {
  EventBuilder b = Builder();
  const auto& t = Table('f', /*with_pk_hint=*/false);
  pgoutput::Insert ins{16446, Tuple{T("1"), T("x"), N()}};
  ASSERT_TRUE(b.OnInsert(t, ins, Txn(), Lsn(1), out_).ok());
  EXPECT_FALSE(out_.events[0].key.has_value());
}

TEST_F(EventBuilderTest, ArityMismatchAndBadValuesAreErrors) {
  EventBuilder b = Builder();
  const auto& t = Table();
  pgoutput::Insert short_row{16446, Tuple{T("1")}};
  EXPECT_EQ(b.OnInsert(t, short_row, Txn(), Lsn(1), out_).code(), Status::Code::kCorruption);
  pgoutput::Insert bad{16446, Tuple{T("1"), T("x"), T("not a time")}};
  Status s = b.OnInsert(t, bad, Txn(), Lsn(1), out_);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("public.users.updated_at"), std::string::npos) << s.message();
  EXPECT_TRUE(out_.events.empty());
}

}  // namespace
}  // namespace cdc::eb_test
