// The descriptor table of value types: one row per ValueType with its Kafka Connect type,
// semantic name, version and doc, for the few types whose schema depends on the codec
// (parameters, struct fields, array items, map entries) a function that completes it, what
// Debezium puts in place of an unchanged TOASTed value, and when values travel in binary. Adding a
// type is one row here (the static_asserts refuse a table that misses or misorders it) plus one
// renderer per format. debezium-format.md §3 is the specification.

#include <iterator>

#include "decoders/values/column_codec.h"

namespace cdc {

namespace {

using CT = ConnectType;
using TP = ToastPlaceholder;
using BT = BinaryTransfer;

ConnectSchema PointSchema(bool optional) {
  ConnectSchema s = ConnectSchema::Named(CT::kStruct, optional, "io.debezium.data.geometry.Point");
  s.doc = "Geometry (POINT)";
  s.Add("x", ConnectSchema::Of(CT::kFloat64))
      .Add("y", ConnectSchema::Of(CT::kFloat64))
      .Add("wkb", ConnectSchema::Of(CT::kBytes, true))
      .Add("srid", ConnectSchema::Of(CT::kInt32, true));
  return s;
}

void DecimalParameters(const ColumnCodec& c, ConnectSchema* s) {
  s->parameters.emplace_back("scale", std::to_string(c.scale));
  if (c.type == ValueType::kDecimal && c.precision > 0) {
    s->parameters.emplace_back("connect.decimal.precision", std::to_string(c.precision));
  }
}

void VariableDecimalFields(const ColumnCodec&, ConnectSchema* s) {
  s->Add("scale", ConnectSchema::Of(CT::kInt32)).Add("value", ConnectSchema::Of(CT::kBytes));
}

// binary.handling.mode: raw bytes, or their base64/hex text.
void BytesType(const ColumnCodec& c, ConnectSchema* s) {
  s->type = c.binary == BinaryHandling::kBytes ? CT::kBytes : CT::kString;
}

void BitsParameters(const ColumnCodec& c, ConnectSchema* s) {
  s->parameters.emplace_back("length", std::to_string(c.bits_length));
}

void EnumParameters(const ColumnCodec& c, ConnectSchema* s) {
  s->parameters.emplace_back("allowed", c.enum_allowed);
}

// Elements are optional: arrays may hold NULLs.
void ArrayItems(const ColumnCodec& c, ConnectSchema* s) {
  s->items = std::make_shared<const ConnectSchema>(ColumnSchemaOf(*c.element, true));
}

void PointFields(const ColumnCodec&, ConnectSchema* s) { s->fields = PointSchema(false).fields; }

void GeometryFields(const ColumnCodec&, ConnectSchema* s) {
  ConnectSchema extensions = ConnectSchema::Of(CT::kMap, true);
  extensions.keys = std::make_shared<const ConnectSchema>(ConnectSchema::Of(CT::kString));
  extensions.values = std::make_shared<const ConnectSchema>(ConnectSchema::Of(CT::kString, true));
  s->Add("wkb", ConnectSchema::Of(CT::kBytes))
      .Add("srid", ConnectSchema::Of(CT::kInt32, true))
      .Add("extensions", std::move(extensions));
}

void CircleFields(const ColumnCodec&, ConnectSchema* s) {
  s->Add("center", PointSchema(false)).Add("radius", ConnectSchema::Of(CT::kFloat64));
}

void LineFields(const ColumnCodec&, ConnectSchema* s) {
  s->Add("a", ConnectSchema::Of(CT::kFloat64))
      .Add("b", ConnectSchema::Of(CT::kFloat64))
      .Add("c", ConnectSchema::Of(CT::kFloat64));
}

void MapEntries(const ColumnCodec&, ConnectSchema* s) {
  s->keys = std::make_shared<const ConnectSchema>(ConnectSchema::Of(CT::kString));
  s->values = std::make_shared<const ConnectSchema>(ConnectSchema::Of(CT::kString, true));
}

struct ValueTypeRow {
  ValueType type;
  ConnectType connect;
  const char* name;  // semantic name, nullptr: none (version 1 when named)
  const char* doc;   // nullptr: none
  void (*complete)(const ColumnCodec&, ConnectSchema*);  // nullptr: the row says it all
  ToastPlaceholder toast;  // what stands in for an unchanged TOASTed value
  BinaryTransfer binary;   // when its values can travel in the binary format
  const char* extension;   // BinaryTransfer::kExtension: the extension type's name
};

constexpr char kDecimal[] = "org.apache.kafka.connect.data.Decimal";
constexpr char kJson[] = "io.debezium.data.Json";

// In ValueType's order: type, Connect type, semantic name, doc, completion, unchanged-TOAST
// placeholder, binary transfer, extension name.
constexpr ValueTypeRow kRows[] = {
    {ValueType::kBool, CT::kBoolean, nullptr, nullptr, nullptr, TP::kNone, BT::kBuiltin, nullptr},
    {ValueType::kInt16, CT::kInt16, nullptr, nullptr, nullptr, TP::kNone, BT::kBuiltin, nullptr},
    {ValueType::kInt32, CT::kInt32, nullptr, nullptr, nullptr, TP::kNone, BT::kBuiltin, nullptr},
    {ValueType::kInt64, CT::kInt64, nullptr, nullptr, nullptr, TP::kNone, BT::kBuiltin, nullptr},
    {ValueType::kFloat32, CT::kFloat32, nullptr, nullptr, nullptr, TP::kNone, BT::kBuiltin,
     nullptr},
    {ValueType::kFloat64, CT::kFloat64, nullptr, nullptr, nullptr, TP::kNone, BT::kBuiltin,
     nullptr},
    {ValueType::kDecimal, CT::kBytes, kDecimal, nullptr, DecimalParameters, TP::kNone, BT::kBuiltin,
     nullptr},
    {ValueType::kVariableDecimal, CT::kStruct, "io.debezium.data.VariableScaleDecimal",
     "Variable scaled decimal", VariableDecimalFields, TP::kNone, BT::kBuiltin, nullptr},
    {ValueType::kDecimalDouble, CT::kFloat64, nullptr, nullptr, nullptr, TP::kNone, BT::kBuiltin,
     nullptr},
    {ValueType::kDecimalString, CT::kString, nullptr, nullptr, nullptr, TP::kText, BT::kBuiltin,
     nullptr},
    {ValueType::kMoney, CT::kBytes, kDecimal, nullptr, DecimalParameters, TP::kNone, BT::kBuiltin,
     nullptr},
    {ValueType::kString, CT::kString, nullptr, nullptr, nullptr, TP::kText, BT::kTextLike, nullptr},
    {ValueType::kUuid, CT::kString, "io.debezium.data.Uuid", nullptr, nullptr, TP::kNone,
     BT::kBuiltin, nullptr},
    {ValueType::kJson, CT::kString, kJson, nullptr, nullptr, TP::kText, BT::kBuiltin, nullptr},
    {ValueType::kXml, CT::kString, "io.debezium.data.Xml", nullptr, nullptr, TP::kText,
     BT::kXmlUtf8, nullptr},
    {ValueType::kBytes, CT::kBytes, nullptr, nullptr, BytesType, TP::kBytes, BT::kBuiltin, nullptr},
    {ValueType::kDate, CT::kInt32, "io.debezium.time.Date", nullptr, nullptr, TP::kNone,
     BT::kBuiltin, nullptr},
    {ValueType::kConnectDate, CT::kInt32, "org.apache.kafka.connect.data.Date", nullptr, nullptr,
     TP::kNone, BT::kBuiltin, nullptr},
    {ValueType::kTimeMillis, CT::kInt32, "io.debezium.time.Time", nullptr, nullptr, TP::kNone,
     BT::kBuiltin, nullptr},
    {ValueType::kTimeMicros, CT::kInt64, "io.debezium.time.MicroTime", nullptr, nullptr, TP::kNone,
     BT::kBuiltin, nullptr},
    {ValueType::kConnectTime, CT::kInt32, "org.apache.kafka.connect.data.Time", nullptr, nullptr,
     TP::kNone, BT::kBuiltin, nullptr},
    {ValueType::kTimeTz, CT::kString, "io.debezium.time.ZonedTime", nullptr, nullptr, TP::kNone,
     BT::kBuiltin, nullptr},
    {ValueType::kTimestampMillis, CT::kInt64, "io.debezium.time.Timestamp", nullptr, nullptr,
     TP::kNone, BT::kBuiltin, nullptr},
    {ValueType::kTimestampMicros, CT::kInt64, "io.debezium.time.MicroTimestamp", nullptr, nullptr,
     TP::kNone, BT::kBuiltin, nullptr},
    {ValueType::kConnectTimestamp, CT::kInt64, "org.apache.kafka.connect.data.Timestamp", nullptr,
     nullptr, TP::kNone, BT::kBuiltin, nullptr},
    {ValueType::kTimestampTz, CT::kString, "io.debezium.time.ZonedTimestamp", nullptr, nullptr,
     TP::kNone, BT::kBuiltin, nullptr},
    {ValueType::kIntervalMicros, CT::kInt64, "io.debezium.time.MicroDuration", nullptr, nullptr,
     TP::kNone, BT::kBuiltin, nullptr},
    {ValueType::kIntervalString, CT::kString, "io.debezium.time.Interval", nullptr, nullptr,
     TP::kText, BT::kBuiltin, nullptr},
    {ValueType::kBits, CT::kBytes, "io.debezium.data.Bits", nullptr, BitsParameters, TP::kNone,
     BT::kBuiltin, nullptr},
    {ValueType::kEnum, CT::kString, "io.debezium.data.Enum", nullptr, EnumParameters, TP::kText,
     BT::kAlways, nullptr},
    {ValueType::kArray, CT::kArray, nullptr, nullptr, ArrayItems, TP::kByElement, BT::kElements,
     nullptr},
    {ValueType::kPoint, CT::kStruct, "io.debezium.data.geometry.Point", "Geometry (POINT)",
     PointFields, TP::kNone, BT::kBuiltin, nullptr},
    {ValueType::kGeometry, CT::kStruct, "io.debezium.data.geometry.Geometry", nullptr,
     GeometryFields, TP::kNone, BT::kBuiltin, nullptr},
    {ValueType::kCircle, CT::kStruct, "io.debezium.data.geometry.Circle", nullptr, CircleFields,
     TP::kNone, BT::kBuiltin, nullptr},
    {ValueType::kLine, CT::kStruct, "io.debezium.data.geometry.Line", nullptr, LineFields,
     TP::kNone, BT::kBuiltin, nullptr},
    {ValueType::kHstoreJson, CT::kString, kJson, nullptr, nullptr, TP::kText, BT::kExtension,
     "hstore"},
    {ValueType::kHstoreMap, CT::kMap, nullptr, nullptr, MapEntries, TP::kMap, BT::kExtension,
     "hstore"},
    {ValueType::kLtree, CT::kString, "io.debezium.data.Ltree", nullptr, nullptr, TP::kText,
     BT::kExtension, "ltree"},
    {ValueType::kTsvector, CT::kString, "io.debezium.data.Tsvector", nullptr, nullptr, TP::kText,
     BT::kNever, nullptr},
    {ValueType::kTimeNanos, CT::kInt64, "io.debezium.time.NanoTime", nullptr, nullptr, TP::kNone,
     BT::kBuiltin, nullptr},
    {ValueType::kTimestampNanos, CT::kInt64, "io.debezium.time.NanoTimestamp", nullptr, nullptr,
     TP::kNone, BT::kBuiltin, nullptr},
    {ValueType::kIsoDate, CT::kString, "io.debezium.time.IsoDate", nullptr, nullptr, TP::kNone,
     BT::kBuiltin, nullptr},
    {ValueType::kIsoTime, CT::kString, "io.debezium.time.IsoTime", nullptr, nullptr, TP::kNone,
     BT::kBuiltin, nullptr},
    {ValueType::kIsoTimestamp, CT::kString, "io.debezium.time.IsoTimestamp", nullptr, nullptr,
     TP::kNone, BT::kBuiltin, nullptr},
    {ValueType::kUnknownBytes, CT::kBytes, nullptr, nullptr, BytesType, TP::kBytes, BT::kNever,
     nullptr},
    {ValueType::kUnmappedText, CT::kString, nullptr, nullptr, nullptr, TP::kText, BT::kNever,
     nullptr},
};

static_assert(std::size(kRows) == kValueTypeCount, "one row per ValueType");

constexpr bool RowsInOrder() {
  for (size_t i = 0; i < std::size(kRows); ++i) {
    if (static_cast<size_t>(kRows[i].type) != i) return false;
  }
  return true;
}
static_assert(RowsInOrder(), "rows in ValueType's order");

const ValueTypeRow& RowOf(ValueType type) { return kRows[static_cast<size_t>(type)]; }

}  // namespace

ToastPlaceholder ToastPlaceholderOf(ValueType type) { return RowOf(type).toast; }
BinaryTransfer BinaryTransferOf(ValueType type) { return RowOf(type).binary; }
const char* BinaryExtensionOf(ValueType type) { return RowOf(type).extension; }

ConnectType ConnectTypeOf(const ColumnCodec& c) {
  if ((c.type == ValueType::kBytes || c.type == ValueType::kUnknownBytes) &&
      c.binary != BinaryHandling::kBytes) {
    return CT::kString;
  }
  return RowOf(c.type).connect;
}

ConnectSchema ColumnSchemaOf(const ColumnCodec& c, bool optional) {
  const ValueTypeRow& row = RowOf(c.type);
  ConnectSchema s = ConnectSchema::Of(row.connect, optional);
  if (row.name != nullptr) {
    s.name = row.name;
    s.version = 1;
  }
  if (row.doc != nullptr) s.doc = row.doc;
  if (row.complete != nullptr) row.complete(c, &s);
  return s;
}

}  // namespace cdc
