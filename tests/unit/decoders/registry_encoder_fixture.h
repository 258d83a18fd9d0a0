#pragma once

// RegistryEncoderTest: what the encoder tests of the registry formats that spell the JSON
// payload (JSON Schema, Protobuf) share: a connector's options in that format with a FakeRegistrar,
// the same options as the plain JSON format without schemas (to compare payloads), and a table
// with a key, a decimal and a bytea column.

#include <gtest/gtest.h>

#include "decoders/events/event_options.h"
#include "decoders/events/relation_cache.h"
#include "decoders/values/pg_type_oids.h"
#include "tests/unit/decoders/fake_registrar.h"

namespace cdc {

class RegistryEncoderTest : public ::testing::Test {
 protected:
  RegistryEncoderTest(RecordFormat format, SchemaType type) : reg_(type) {
    options_.name = "pg";
    options_.transaction_topic = "pg.transaction";
    options_.message_topic = "pg.message";
    options_.heartbeat_topic = "__debezium-heartbeat.pg";
    options_.database = "appdb";
    options_.source_version = "test";
    options_.format = format;
    options_.registrar = &reg_;
    plain_ = options_;
    plain_.format = RecordFormat::kJson;
    plain_.schemas = false;
  }

  // public.things (id int4 primary key, price numeric(10,2), data bytea), topic
  // pg.public.things.
  const TableSchema& Things() {
    pgoutput::Relation rel;
    rel.oid = 16600;
    rel.nspname = "public";
    rel.relname = "things";
    rel.columns = {{1, "id", pgtype::kInt4, -1},
                   {0, "price", pgtype::kNumeric, ((10 << 16) | 2) + 4},
                   {0, "data", pgtype::kBytea, -1}};
    CatalogHints hints;
    hints.known = true;
    hints.primary_key = {"id"};
    hints.not_null = {"id"};
    hints.topic = "pg.public.things";
    auto t = cache_.Update(rel, hints, true);
    EXPECT_TRUE(t.ok()) << t.status().message();
    return **t;
  }

  EventOptions options_;
  EventOptions plain_;
  FakeRegistrar reg_;
  RelationCache cache_{options_};
};

}  // namespace cdc
