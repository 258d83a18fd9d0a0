#pragma once

// ProtoFile: the Protobuf schema Confluent's ProtobufData (default configuration) makes of a
// Kafka Connect schema (values/connect_schema.h), and its text exactly as the Schema Registry
// client sends it (ProtobufSchema.canonicalString(), not normalized), which is what the registry
// stores. The rules, read in confluentinc/schema-registry's ProtobufData and ProtobufSchemaUtils
// and checked by running them:
//   - proto3; the root struct's name splits at its last dot into package and message name.
//   - Fields keep Connect order and take tags 1..n. Optional and required fields look alike
//     (plain proto3 fields: a null is an absent field, which a reader sees as the zero value).
//   - int8/int16 are int32 with (confluent.field_meta) param connect.type; int32, int64, float,
//     double, bool, string, bytes are themselves; Connect's Decimal is confluent.type.Decimal
//     (params precision, scale), Date google.type.Date, Time google.type.TimeOfDay, Timestamp
//     google.protobuf.Timestamp. Debezium's semantic names, docs, parameters and versions are
//     dropped. Arrays are repeated fields; a map is a repeated <Name>Entry {key = 1; value = 2}.
//   - A struct is a message nested in the message that uses it, named by the last segment of its
//     name (Message appended when that equals the field's name), defined once per parent; an
//     unnamed struct or map takes ConnectDefault<N>, one counter per schema, depth first.
// One type mapping exists in pgcdc, the Connect one; this file only applies ProtobufData's rules.
//
// Built once per relation version (or once per encoder for the fixed records), never per record.
// A file owns its messages. Thread-compatible.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "decoders/base/status.h"
#include "decoders/values/connect_schema.h"

namespace cdc {

struct ProtoMessage;

struct ProtoField {
  enum class Kind {
    kInt32,
    kInt64,
    kFloat,
    kDouble,
    kBool,
    kString,
    kBytes,
    kMessage,    // a nested struct (or a map entry, with `map`)
    kDecimal,    // confluent.type.Decimal {bytes value = 1; uint32 precision = 2; int32 scale = 3}
    kDate,       // google.type.Date {int32 year = 1; int32 month = 2; int32 day = 3}
    kTimeOfDay,  // google.type.TimeOfDay {int32 hours = 1; minutes = 2; seconds = 3; nanos = 4}
    kTimestamp,  // google.protobuf.Timestamp {int64 seconds = 1; int32 nanos = 2}
  };

  std::string name;
  int tag = 0;
  Kind kind = Kind::kString;
  bool repeated = false;
  bool optional = false;  // proto3 `optional` (explicit presence)
  bool map = false;       // a repeated map entry, read from a JSON object
  std::string type;       // the type as printed: "int32", "Value", "google.type.Date"
  const ProtoMessage* message = nullptr;  // kMessage: its definition (owned by some message)
  // (confluent.field_meta) params: (key, value), in order; none: no option.
  std::vector<std::pair<std::string, std::string>> meta;
  int32_t scale = 0;  // kDecimal: the Connect schema's scale
};

struct ProtoMessage {
  std::string name;
  std::vector<ProtoField> fields;
  std::vector<std::unique_ptr<ProtoMessage>> nested;  // definitions, in the order first met
};

struct ProtoFile {
  std::string package;               // empty: none
  std::vector<std::string> imports;  // in first-use order
  std::unique_ptr<ProtoMessage> root;
};

// The converter settings pgcdc offers (ProtobufDataConfig); every other one at its default.
struct ProtoOptions {
  // optional.for.nullables: an optional Connect field (not a list or map) is a proto3
  // `optional` field, whose presence the wire carries: a NULL is absent, a zero is written.
  bool optional_for_nullables = false;
};

// Converts `connect` (a struct) by ProtobufData's rules (fromConnectSchema with `options`).
// Fails, naming `where` (e.g. the table), for shapes ProtobufData refuses: a non-struct root,
// arrays of arrays or of maps.
Result<std::shared_ptr<const ProtoFile>> ProtoFileOf(const ConnectSchema& connect,
                                                     std::string_view where,
                                                     ProtoOptions options = {});

// The file's text as ProtobufSchemaUtils.toString prints it (two-space indents, blank lines as
// wire's printer puts them, indented inside nested messages).
std::string ProtoSchemaText(const ProtoFile& file);

}  // namespace cdc
