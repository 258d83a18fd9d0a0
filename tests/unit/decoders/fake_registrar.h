#pragma once

// FakeRegistrar: an in-memory Schema Registry for the registry formats' encoder tests (Avro,
// JSON Schema, Protobuf): one global id per distinct text, the texts by id, the subject of every
// call in order, and `fail` returned instead of an id while it is not OK. Every call must carry
// the schemaType the test expects.

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "decoders/events/schema_registrar.h"

namespace cdc {

class FakeRegistrar : public SchemaRegistrar {
 public:
  explicit FakeRegistrar(SchemaType expected) : expected_(expected) {}

  Status IdFor(std::string_view subject, SchemaType type, std::string_view schema,
               int32_t* id) override {
    EXPECT_EQ(type, expected_);
    calls.emplace_back(subject);
    if (!fail.ok()) return fail;
    auto [it, added] = ids.emplace(std::string(schema), static_cast<int32_t>(ids.size() + 1));
    texts[it->second] = std::string(schema);
    *id = it->second;
    return Status::Ok();
  }

  std::vector<std::string> calls;
  std::map<std::string, int32_t> ids;
  std::map<int32_t, std::string> texts;
  Status fail;

 private:
  SchemaType expected_;
};

}  // namespace cdc
