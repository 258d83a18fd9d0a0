#pragma once

// The EventBuilder tests' fixture: a users table, a transaction, a JSON builder under a fixed
// clock and an emitter that parses what it gets. Shared by event_builder_test.cc (row changes)
// and event_builder_records_test.cc (transaction, message, heartbeat records and schemas).

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "decoders/events/event_builder.h"
#include "decoders/json/json_encoder.h"
#include "decoders/values/pg_type_oids.h"

namespace cdc::eb_test {

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

inline int64_t FixedClock() { return 1700000000123456; }

inline TupleValue T(std::string_view s) { return TupleValue{ValueKind::kText, s}; }
inline TupleValue N() { return TupleValue{ValueKind::kNull, {}}; }
inline TupleValue U() { return TupleValue{ValueKind::kUnchanged, {}}; }

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

}  // namespace cdc::eb_test
