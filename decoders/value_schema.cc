// The Kafka Connect schema of each column codec: type, nested fields, semantic name and
// parameters, as JsonConverter prints them (debezium-format.md §3).

#include "decoders/value_converter.h"

namespace cdc {

std::string_view ConnectTypeOf(const ColumnCodec& c) {
  switch (c.type) {
    case ValueType::kBool: return "boolean";
    case ValueType::kInt16: return "int16";
    case ValueType::kInt32:
    case ValueType::kDate:
    case ValueType::kConnectDate:
    case ValueType::kTimeMillis:
    case ValueType::kConnectTime: return "int32";
    case ValueType::kInt64:
    case ValueType::kTimeMicros:
    case ValueType::kTimestampMillis:
    case ValueType::kTimestampMicros:
    case ValueType::kConnectTimestamp:
    case ValueType::kIntervalMicros: return "int64";
    case ValueType::kFloat32: return "float";
    case ValueType::kFloat64:
    case ValueType::kDecimalDouble: return "double";
    case ValueType::kDecimal:
    case ValueType::kMoney: return "bytes";
    case ValueType::kVariableDecimal:
    case ValueType::kPoint:
    case ValueType::kGeometry:
    case ValueType::kCircle:
    case ValueType::kLine: return "struct";
    case ValueType::kBits: return "bytes";
    case ValueType::kArray: return "array";
    case ValueType::kHstoreMap: return "map";
    case ValueType::kBytes: return c.binary == BinaryHandling::kBytes ? "bytes" : "string";
    case ValueType::kDecimalString:
    case ValueType::kString:
    case ValueType::kUuid:
    case ValueType::kJson:
    case ValueType::kXml:
    case ValueType::kTimeTz:
    case ValueType::kTimestampTz:
    case ValueType::kIntervalString:
    case ValueType::kEnum:
    case ValueType::kHstoreJson:
    case ValueType::kLtree:
    case ValueType::kTsvector:
    case ValueType::kUnmappedText: return "string";
  }
  return "string";  // not reached: every type is listed above
}

void AppendSchemaFields(const ColumnCodec& c, JsonWriter& w) {
  switch (c.type) {
    case ValueType::kVariableDecimal:
      w.Key("fields");
      w.Raw(R"([{"type":"int32","optional":false,"field":"scale"},)"
            R"({"type":"bytes","optional":false,"field":"value"}])");
      return;
    case ValueType::kPoint:
      w.Key("fields");
      w.Raw(R"([{"type":"double","optional":false,"field":"x"},)"
            R"({"type":"double","optional":false,"field":"y"},)"
            R"({"type":"bytes","optional":true,"field":"wkb"},)"
            R"({"type":"int32","optional":true,"field":"srid"}])");
      return;
    case ValueType::kGeometry:
      w.Key("fields");
      w.Raw(R"([{"type":"bytes","optional":false,"field":"wkb"},)"
            R"({"type":"int32","optional":true,"field":"srid"},)"
            R"({"type":"map","keys":{"type":"string","optional":false},)"
            R"("values":{"type":"string","optional":true},"optional":true,"field":"extensions"}])");
      return;
    case ValueType::kCircle:
      w.Key("fields");
      w.Raw(R"([{"type":"struct","fields":[{"type":"double","optional":false,"field":"x"},)"
            R"({"type":"double","optional":false,"field":"y"},)"
            R"({"type":"bytes","optional":true,"field":"wkb"},)"
            R"({"type":"int32","optional":true,"field":"srid"}],"optional":false,)"
            R"j("name":"io.debezium.data.geometry.Point","version":1,"doc":"Geometry (POINT)",)j"
            R"("field":"center"},{"type":"double","optional":false,"field":"radius"}])");
      return;
    case ValueType::kLine:
      w.Key("fields");
      w.Raw(R"([{"type":"double","optional":false,"field":"a"},)"
            R"({"type":"double","optional":false,"field":"b"},)"
            R"({"type":"double","optional":false,"field":"c"}])");
      return;
    case ValueType::kHstoreMap:
      w.Key("keys");
      w.Raw(R"({"type":"string","optional":false})");
      w.Key("values");
      w.Raw(R"({"type":"string","optional":true})");
      return;
    case ValueType::kArray:
      // Elements are optional: arrays may hold NULLs.
      w.Key("items");
      w.BeginObject();
      w.Key("type");
      w.String(ConnectTypeOf(*c.element));
      AppendSchemaFields(*c.element, w);
      w.Key("optional");
      w.Bool(true);
      AppendSchemaSemantics(*c.element, w);
      w.EndObject();
      return;
    case ValueType::kBool:
    case ValueType::kInt16:
    case ValueType::kInt32:
    case ValueType::kInt64:
    case ValueType::kFloat32:
    case ValueType::kFloat64:
    case ValueType::kDecimal:
    case ValueType::kDecimalDouble:
    case ValueType::kDecimalString:
    case ValueType::kMoney:
    case ValueType::kString:
    case ValueType::kUuid:
    case ValueType::kJson:
    case ValueType::kXml:
    case ValueType::kBytes:
    case ValueType::kDate:
    case ValueType::kConnectDate:
    case ValueType::kTimeMillis:
    case ValueType::kTimeMicros:
    case ValueType::kConnectTime:
    case ValueType::kTimeTz:
    case ValueType::kTimestampMillis:
    case ValueType::kTimestampMicros:
    case ValueType::kConnectTimestamp:
    case ValueType::kTimestampTz:
    case ValueType::kIntervalMicros:
    case ValueType::kIntervalString:
    case ValueType::kBits:
    case ValueType::kEnum:
    case ValueType::kHstoreJson:
    case ValueType::kLtree:
    case ValueType::kTsvector:
    case ValueType::kUnmappedText: return;
  }
}

void AppendSchemaSemantics(const ColumnCodec& c, JsonWriter& w) {
  auto named = [&w](std::string_view name) {
    w.Key("name");
    w.String(name);
    w.Key("version");
    w.Int(1);
  };
  switch (c.type) {
    case ValueType::kDecimal:
    case ValueType::kMoney:
      named("org.apache.kafka.connect.data.Decimal");
      w.Key("parameters");
      w.BeginObject();
      w.Key("scale");
      w.String(std::to_string(c.scale));
      if (c.type == ValueType::kDecimal && c.precision > 0) {
        w.Key("connect.decimal.precision");
        w.String(std::to_string(c.precision));
      }
      w.EndObject();
      break;
    case ValueType::kVariableDecimal:
      named("io.debezium.data.VariableScaleDecimal");
      w.Key("doc");
      w.String("Variable scaled decimal");
      break;
    case ValueType::kUuid: named("io.debezium.data.Uuid"); break;
    case ValueType::kBits:
      named("io.debezium.data.Bits");
      w.Key("parameters");
      w.BeginObject();
      w.Key("length");
      w.String(std::to_string(c.bits_length));
      w.EndObject();
      break;
    case ValueType::kEnum:
      named("io.debezium.data.Enum");
      w.Key("parameters");
      w.BeginObject();
      w.Key("allowed");
      w.String(c.enum_allowed);
      w.EndObject();
      break;
    case ValueType::kPoint:
      named("io.debezium.data.geometry.Point");
      w.Key("doc");
      w.String("Geometry (POINT)");
      break;
    case ValueType::kGeometry: named("io.debezium.data.geometry.Geometry"); break;
    case ValueType::kCircle: named("io.debezium.data.geometry.Circle"); break;
    case ValueType::kLine: named("io.debezium.data.geometry.Line"); break;
    case ValueType::kHstoreJson: named("io.debezium.data.Json"); break;
    case ValueType::kLtree: named("io.debezium.data.Ltree"); break;
    case ValueType::kTsvector: named("io.debezium.data.Tsvector"); break;
    case ValueType::kJson: named("io.debezium.data.Json"); break;
    case ValueType::kXml: named("io.debezium.data.Xml"); break;
    case ValueType::kDate: named("io.debezium.time.Date"); break;
    case ValueType::kConnectDate: named("org.apache.kafka.connect.data.Date"); break;
    case ValueType::kTimeMillis: named("io.debezium.time.Time"); break;
    case ValueType::kTimeMicros: named("io.debezium.time.MicroTime"); break;
    case ValueType::kConnectTime: named("org.apache.kafka.connect.data.Time"); break;
    case ValueType::kTimeTz: named("io.debezium.time.ZonedTime"); break;
    case ValueType::kTimestampMillis: named("io.debezium.time.Timestamp"); break;
    case ValueType::kTimestampMicros: named("io.debezium.time.MicroTimestamp"); break;
    case ValueType::kConnectTimestamp: named("org.apache.kafka.connect.data.Timestamp"); break;
    case ValueType::kTimestampTz: named("io.debezium.time.ZonedTimestamp"); break;
    case ValueType::kIntervalMicros: named("io.debezium.time.MicroDuration"); break;
    case ValueType::kIntervalString: named("io.debezium.time.Interval"); break;
    case ValueType::kBool:
    case ValueType::kInt16:
    case ValueType::kInt32:
    case ValueType::kInt64:
    case ValueType::kFloat32:
    case ValueType::kFloat64:
    case ValueType::kDecimalDouble:
    case ValueType::kDecimalString:
    case ValueType::kString:
    case ValueType::kBytes:
    case ValueType::kArray:
    case ValueType::kHstoreMap:
    case ValueType::kUnmappedText: break;
  }
}

}  // namespace cdc
