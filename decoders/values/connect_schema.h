#pragma once

// The format-neutral Kafka Connect schema tree: what Debezium's records declare about each
// field (Connect type, optional, semantic name and version, doc, parameters, default, nested
// fields, array items, map keys and values). The JSON encoder prints it as JsonConverter does
// (json/connect_schema_json.h); an Avro, JSON Schema or Protobuf encoder maps the same tree as
// its converter does. Built once per relation version, never per record.
//
// Values, not handles: a tree owns its children. Thread-compatible.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cdc {

struct ColumnCodec;

enum class ConnectType {
  kInt8,
  kInt16,
  kInt32,
  kInt64,
  kFloat32,
  kFloat64,
  kBoolean,
  kString,
  kBytes,
  kArray,
  kMap,
  kStruct,
};

// Connect's own spelling of the type: "int32", "float" (float32), "double" (float64), ...
std::string_view ConnectTypeName(ConnectType type);

struct ConnectField;

struct ConnectSchema {
  ConnectType type = ConnectType::kString;
  bool optional = false;
  std::string name;  // semantic (logical) name; empty: none
  int version = 0;   // 0: none
  std::string doc;   // empty: none
  std::vector<std::pair<std::string, std::string>> parameters;  // in declaration order
  // A string default (the only kind Debezium's fixed schemas use: source.snapshot's "false").
  std::optional<std::string> default_string;
  // A column's default (values/column_default.h): the value in PostgreSQL's text form, which a
  // format renders with `default_codec` as it renders the column's values.
  std::optional<std::string> default_text;
  std::shared_ptr<const ColumnCodec> default_codec;
  std::vector<ConnectField> fields;             // kStruct
  std::shared_ptr<const ConnectSchema> items;   // kArray
  std::shared_ptr<const ConnectSchema> keys;    // kMap
  std::shared_ptr<const ConnectSchema> values;  // kMap

  // Builders for the common shapes; they return the schema to allow chaining into a field.
  static ConnectSchema Of(ConnectType type, bool optional = false);
  static ConnectSchema Named(ConnectType type, bool optional, std::string name, int version = 1);
  ConnectSchema& Add(std::string field, ConnectSchema schema);
};

struct ConnectField {
  std::string name;
  ConnectSchema schema;
};

}  // namespace cdc
