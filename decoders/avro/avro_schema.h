#pragma once

// AvroSchema: the Avro schema Confluent's AvroData (default configuration) makes of a Kafka
// Connect schema (values/connect_schema.h), and its text exactly as Java Avro's Schema.toString()
// prints it, which is what a Schema Registry stores (canonical form, avro-schema-registry.md §2
// and §5). One type mapping exists in pgcdc, the Connect one; this file only applies AvroData's
// rules to it. The encoder (avro_encoder.h) also walks the tree to write datums.
//
// Built once per relation version (or once per encoder for the fixed records), never per record.
// A tree owns its nodes; a named record used twice is one shared node, printed once and then
// referenced by name as Java does. Thread-compatible.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "decoders/base/status.h"
#include "decoders/values/connect_schema.h"

namespace cdc {

struct AvroSchema {
  enum class Kind {
    kNull,
    kBoolean,
    kInt,
    kLong,
    kFloat,
    kDouble,
    kString,
    kBytes,
    kArray,
    kMap,
    kRecord,
    kUnion,
  };
  struct Field {
    std::string name;
    std::shared_ptr<const AvroSchema> schema;
    std::optional<std::string> default_json;  // the field's "default", as JSON text
  };

  Kind kind = Kind::kNull;
  std::string name;   // kRecord: the simple name
  std::string space;  // kRecord: the namespace; empty: none
  // Custom properties in insertion order (connect.*, scale, precision, logicalType): key and
  // value as JSON text.
  std::vector<std::pair<std::string, std::string>> props;
  std::vector<Field> fields;                                // kRecord
  std::shared_ptr<const AvroSchema> items;                  // kArray items, kMap values
  std::vector<std::shared_ptr<const AvroSchema>> branches;  // kUnion

  std::string FullName() const { return space.empty() ? name : space + "." + name; }
  // kUnion of null and one type: the index of the null branch (0, or 1 when a default flipped
  // the union); -1 when this is not such a union.
  int NullBranch() const;
};

// Converts `connect` by AvroData's rules (fromConnectSchema with connect.meta.data=true and every
// other option at its default). Fails, naming the offending name, when a record or field name is
// one Java Avro rejects (it checks a full name's last segment and each field name against
// [A-Za-z_][A-Za-z0-9_]*); `where` (e.g. the table) goes into that message.
Result<std::shared_ptr<const AvroSchema>> AvroSchemaOf(const ConnectSchema& connect,
                                                       std::string_view where);

// The schema's text as Java Avro's Schema.toString() prints it: compact JSON, Java's key order,
// a named type defined at its first use and referenced by name after, namespaces written only
// where they differ from the enclosing one.
std::string AvroSchemaText(const AvroSchema& schema);

// Appends `s` as a JSON string the way Jackson writes it inside Avro's Schema.toString(): the short
// escapes for quote, backslash, \b \t \n \f \r, other control characters as \u00XX (upper-case
// hex), every other byte, non-ASCII included, as it is. Shared by the schema text and the
// `connect.*` property values the converter builds.
void AppendJacksonString(std::string* out, std::string_view s);

}  // namespace cdc
