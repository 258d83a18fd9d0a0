#include "decoders/events/event_builder.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "decoders/json/json_encoder.h"
#include "decoders/values/pg_type_oids.h"

namespace cdc {
namespace {

using nlohmann::json;
using pgoutput::Tuple;
using pgoutput::TupleValue;
using pgoutput::ValueKind;

struct Captured {
  std::string topic;
  std::optional<json> key;
  std::optional<json> value;
  std::vector<std::pair<std::string, std::string>> headers;
  char op;
};

class Collect : public EventEmitter {
 public:
  Status Emit(const ChangeEvent& ev) override {
    Captured c;
    c.topic = std::string(ev.topic);
    if (ev.key) c.key = json::parse(*ev.key);
    if (ev.value) c.value = json::parse(*ev.value);
    for (const auto& h : ev.headers) c.headers.emplace_back(h.name, h.value);
    c.op = ev.op;
    events.push_back(std::move(c));
    return Status::Ok();
  }
  std::vector<Captured> events;
};

int64_t FixedClock() { return 1700000000123456; }

TupleValue T(std::string_view s) { return TupleValue{ValueKind::kText, s}; }
TupleValue N() { return TupleValue{ValueKind::kNull, {}}; }
TupleValue U() { return TupleValue{ValueKind::kUnchanged, {}}; }

class EventBuilderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.name = "shop";
    // The connector's naming policy (connector/topic_names.h) would give these.
    options_.transaction_topic = "shop.transaction";
    options_.message_topic = "shop.message";
    options_.heartbeat_topic = "__debezium-heartbeat.shop";
    options_.database = "appdb";
    options_.source_version = "test";
  }

  const TableSchema& Table(char identity = 'd', bool with_pk_hint = true) {
    pgoutput::Relation rel;
    rel.oid = 16446;
    rel.nspname = "public";
    rel.relname = "users";
    rel.replica_identity = identity;
    uint8_t key_flag = 1;
    rel.columns = {
        {key_flag, "id", pgtype::kInt4, -1},
        {static_cast<uint8_t>(identity == 'f' ? 1 : 0), "name", pgtype::kText, -1},
        {static_cast<uint8_t>(identity == 'f' ? 1 : 0), "updated_at", pgtype::kTimestamptz, -1}};
    CatalogHints hints;
    hints.known = with_pk_hint;
    if (with_pk_hint) hints.primary_key = {"id"};
    hints.topic = "shop.public.users";
    auto t = cache_.Update(rel, hints, true);
    EXPECT_TRUE(t.ok()) << t.status().message();
    return **t;
  }

  TxnContext& Txn() {
    txn_ = TxnContext{};
    TxnContext& t = txn_;
    t.xid.value = 492;
    t.commit_ts = UnixMicrosToPgTimestamp(1764100127887783);
    t.final_lsn = Lsn(23044400);
    t.last_commit_lsn = Lsn(23044000);
    return t;
  }

  // A builder spelling JSON under a fixed processing clock.
  EventBuilder Builder() {
    return EventBuilder(options_, std::make_unique<JsonEncoder>(options_, FixedClock));
  }

  EventOptions options_;
  TxnContext txn_;
  RelationCache cache_{options_};
  Collect out_;
};

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

TEST_F(EventBuilderTest, TransactionMetadataBlockAndRecords) {
  options_.transaction_metadata = true;
  EventBuilder b = Builder();
  const auto& t = Table();
  TxnContext& txn = Txn();
  txn.id = "492:23044400";
  // BEGIN goes out with the transaction's first record.
  ASSERT_TRUE(b.OnInsert(t, {16446, Tuple{T("1"), N(), N()}}, txn, Lsn(1), out_).ok());
  EXPECT_TRUE(txn.begin_emitted);
  ASSERT_TRUE(b.OnInsert(t, {16446, Tuple{T("2"), N(), N()}}, txn, Lsn(2), out_).ok());
  ASSERT_TRUE(b.OnTransactionEnd(txn, out_).ok());
  ASSERT_EQ(out_.events.size(), 4u);
  EXPECT_EQ(out_.events[0].topic, "shop.transaction");
  EXPECT_EQ(out_.events[0].key->at("payload"), json::parse(R"({"id":"492:23044400"})"));
  EXPECT_EQ(out_.events[0].key->at("schema")["name"],
            "io.debezium.connector.common.TransactionMetadataKey");
  const json& begin = (*out_.events[0].value)["payload"];
  EXPECT_EQ(begin["status"], "BEGIN");
  EXPECT_TRUE(begin["event_count"].is_null());
  EXPECT_EQ(begin["ts_ms"], 1764100127887);
  EXPECT_EQ((*out_.events[2].value)["payload"]["transaction"],
            json::parse(R"({"id":"492:23044400","total_order":2,"data_collection_order":2})"));
  const json& end = (*out_.events[3].value)["payload"];
  EXPECT_EQ(end["status"], "END");
  EXPECT_EQ(end["event_count"], 2);
  EXPECT_EQ(end["data_collections"],
            json::parse(R"([{"data_collection":"public.users","event_count":2}])"));
}

// As Debezium 3.6.1 (test_debezium_diff.py): a transactional message gets the transaction
// block and counts in total_order and END's event_count; it is not a data collection.
TEST_F(EventBuilderTest, TransactionalMessagesCountInTheTransaction) {
  options_.transaction_metadata = true;
  EventBuilder b = Builder();
  const auto& t = Table();
  TxnContext& txn = Txn();
  txn.id = "492:23044400";
  ASSERT_TRUE(b.OnInsert(t, {16446, Tuple{T("1"), N(), N()}}, txn, Lsn(1), out_).ok());
  MessageContext m;
  m.transactional = true;
  m.txn = &txn;
  m.lsn = Lsn(2);
  m.prefix = "audit";
  ASSERT_TRUE(b.OnMessage(m, out_).ok());
  ASSERT_TRUE(b.OnInsert(t, {16446, Tuple{T("2"), N(), N()}}, txn, Lsn(3), out_).ok());
  ASSERT_TRUE(b.OnTransactionEnd(txn, out_).ok());
  ASSERT_EQ(out_.events.size(), 5u);  // BEGIN, insert, message, insert, END
  EXPECT_EQ((*out_.events[0].value)["payload"]["status"], "BEGIN");
  EXPECT_EQ((*out_.events[2].value)["payload"]["transaction"],
            json::parse(R"({"id":"492:23044400","total_order":2,"data_collection_order":1})"));
  EXPECT_EQ((*out_.events[3].value)["payload"]["transaction"]["total_order"], 3);
  const json& end = (*out_.events[4].value)["payload"];
  EXPECT_EQ(end["event_count"], 3);
  EXPECT_EQ(end["data_collections"],
            json::parse(R"([{"data_collection":"public.users","event_count":2}])"));
  EXPECT_EQ((*out_.events[4].value)["schema"]["fields"][3]["items"]["optional"], true);
}

// BEGIN goes out before the transaction's first record, from the builder itself: the emitter is
// never re-entered, and a transaction without records has no BEGIN.
TEST_F(EventBuilderTest, BeginPrecedesTheFirstRecordOnly) {
  options_.transaction_metadata = true;
  EventBuilder b = Builder();
  TxnContext& txn = Txn();
  txn.id = "492:1";
  options_.skip_create = true;
  ASSERT_TRUE(b.OnInsert(Table(), {16446, Tuple{T("1"), T("x"), N()}}, txn, Lsn(1), out_).ok());
  EXPECT_TRUE(out_.events.empty()) << "a skipped record makes no BEGIN";
  options_.skip_create = false;
  ASSERT_TRUE(b.OnInsert(Table(), {16446, Tuple{T("1"), T("x"), N()}}, txn, Lsn(1), out_).ok());
  ASSERT_TRUE(b.OnInsert(Table(), {16446, Tuple{T("2"), T("y"), N()}}, txn, Lsn(2), out_).ok());
  ASSERT_EQ(out_.events.size(), 3u);
  EXPECT_EQ((*out_.events[0].value)["payload"]["status"], "BEGIN");
  EXPECT_EQ((*out_.events[1].value)["payload"]["after"]["name"], "x");
  EXPECT_EQ((*out_.events[2].value)["payload"]["after"]["name"], "y");
}

TEST_F(EventBuilderTest, LogicalMessages) {
  EventBuilder b = Builder();
  MessageContext m;
  m.transactional = false;
  m.seen_unix_micros = 1700000000000000;
  m.lsn = Lsn(99);
  m.prefix = "audit";
  m.content = "hi";
  ASSERT_TRUE(b.OnMessage(m, out_).ok());
  const auto& e = out_.events[0];
  EXPECT_EQ(e.topic, "shop.message");
  EXPECT_EQ(e.key->at("payload"), json::parse(R"({"prefix":"audit"})"));
  const json& p = (*e.value)["payload"];
  EXPECT_EQ(p["op"], "m");
  EXPECT_EQ(p["message"], json::parse(R"({"prefix":"audit","content":"aGk="})"));
  EXPECT_TRUE(p["source"]["txId"].is_null());
  EXPECT_EQ(p["source"]["lsn"], 99);
  EXPECT_EQ(p["source"]["ts_ms"], 1700000000000);
  EXPECT_EQ(p["source"]["table"], "");
  // Debezium: a non-transactional message is its own commit.
  EXPECT_EQ(p["source"]["sequence"], "[\"99\",\"99\"]");
  EXPECT_EQ((*e.value)["schema"]["name"], "io.debezium.connector.postgresql.MessageValue");
  const json& message_schema = (*e.value)["schema"]["fields"][4];
  EXPECT_EQ(message_schema["name"], "io.debezium.connector.postgresql.Message");
  EXPECT_EQ(message_schema["optional"], false);

  TxnContext& txn = Txn();
  m.transactional = true;
  m.txn = &txn;
  ASSERT_TRUE(b.OnMessage(m, out_).ok());
  EXPECT_EQ((*out_.events[1].value)["payload"]["source"]["txId"], 492);
}

TEST_F(EventBuilderTest, Heartbeat) {
  options_.schemas = false;
  EventBuilder b = Builder();
  ASSERT_TRUE(b.OnHeartbeat(out_).ok());
  EXPECT_EQ(out_.events[0].topic, "__debezium-heartbeat.shop");
  EXPECT_EQ(*out_.events[0].key, json::parse(R"({"serverName":"shop"})"));
  EXPECT_EQ(*out_.events[0].value, json::parse(R"({"ts_ms":1700000000123})"));
}

TEST_F(EventBuilderTest, UnknownTypesExcludedColumnsAndKeyOverride) {
  pgoutput::Relation rel;
  rel.oid = 90;
  rel.nspname = "public";
  rel.relname = "odd";
  rel.columns = {{1, "id", pgtype::kInt4, -1},
                 {0, "pair", 16999, -1},  // a composite type: no mapping
                 {0, "secret", pgtype::kText, -1},
                 {0, "tenant", pgtype::kInt4, -1}};
  CatalogHints hints;
  hints.known = true;
  hints.primary_key = {"id"};
  hints.types[16999] = TypeInfo{'c', "pair_t", 0, 0, ""};

  auto failed = cache_.Update(rel, hints, true);  // default policy: fail, naming the column
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().message().find("public.odd.pair has type 'pair_t'"), std::string::npos)
      << failed.status().message();

  options_.converter.unknown_types = UnknownTypePolicy::kSkip;
  hints.excluded_columns = {"secret"};
  hints.key_override = {"tenant", "id"};
  auto ok = cache_.Update(rel, hints, true);
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EventBuilder b = Builder();
  pgoutput::Insert ins{90, Tuple{T("1"), T("(1,2)"), T("pw"), T("7")}};
  ASSERT_TRUE(b.OnInsert(**ok, ins, Txn(), Lsn(1), out_).ok());
  EXPECT_EQ((*out_.events[0].value)["payload"]["after"], json::parse(R"({"id":1,"tenant":7})"));
  EXPECT_EQ(out_.events[0].key->at("payload"), json::parse(R"({"id":1,"tenant":7})"));
  std::vector<std::string> fields;
  for (const auto& f : (*out_.events[0].value)["schema"]["fields"][1]["fields"]) {
    fields.push_back(f["field"]);
  }
  EXPECT_EQ(fields, (std::vector<std::string>{"id", "tenant"}));

  options_.converter.unknown_types = UnknownTypePolicy::kString;
  hints.excluded_columns.clear();
  hints.key_override = {"nope"};
  EXPECT_FALSE(cache_.Update(rel, hints, true).ok());  // override names a missing column
}

// Debezium names the Key/Value/Envelope schemas after the topic, rejected characters included
// (test_debezium_diff.py, a quoted schema and table).
TEST_F(EventBuilderTest, SchemaNamesFollowTheTopicName) {
  pgoutput::Relation rel;
  rel.oid = 78;
  rel.nspname = "Sales \" EU";
  rel.relname = "Order Items";
  rel.columns = {{1, "id", pgtype::kInt4, -1}};
  CatalogHints hints;
  hints.known = true;
  hints.primary_key = {"id"};
  hints.topic = "shop.Sales___EU.Order_Items";  // connector/topic_names.h's TableTopic
  const auto& t = **cache_.Update(rel, hints, true);
  EventBuilder b = Builder();
  ASSERT_TRUE(b.OnInsert(t, {78, Tuple{T("1")}}, Txn(), Lsn(1), out_).ok());
  const Captured& e = out_.events[0];
  EXPECT_EQ(e.topic, "shop.Sales___EU.Order_Items");
  EXPECT_EQ(e.key->at("schema")["name"], "shop.Sales___EU.Order_Items.Key");
  EXPECT_EQ((*e.value)["schema"]["name"], "shop.Sales___EU.Order_Items.Envelope");
  EXPECT_EQ((*e.value)["schema"]["fields"][1]["name"], "shop.Sales___EU.Order_Items.Value");
  EXPECT_EQ((*e.value)["payload"]["source"]["schema"], "Sales \" EU");  // the real names here
}

TEST_F(EventBuilderTest, SchemaIsBuiltOncePerRelationVersion) {
  JsonEncoder encoder(options_, FixedClock);
  const auto& t1 = Table();
  const std::string first = encoder.EnvelopeSchemaFor(t1);
  const uint64_t v1 = t1.version;
  const auto& t2 = Table();
  EXPECT_GT(t2.version, v1);
  EXPECT_EQ(encoder.EnvelopeSchemaFor(t2), first);
}

}  // namespace
}  // namespace cdc
