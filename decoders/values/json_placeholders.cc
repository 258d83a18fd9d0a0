#include "decoders/values/value_json.h"

// The values that stand in for a column's real one: Debezium's placeholder for an unchanged
// TOASTed value, and the zero value of a required column a key-only old tuple did not carry.

#include <string>

#include "decoders/base/md5.h"

namespace cdc {

namespace {

// Debezium 3.6.1 (UnchangedToastedReplicationMessageColumn, UnchangedToastedPlaceholder) has one
// placeholder per array type: text-like arrays [placeholder]; int4[], int8[] and date[] the
// placeholder's byte values; bytea[] [placeholder bytes]; uuid[] the name-based UUID of the
// placeholder. Its other arrays fail in the converter (a string where the schema wants an
// array). pgcdc extends these rules by the element's schema: every string-valued element gets
// [placeholder], every integer-valued one the byte values; elements with no such shape (bool,
// floats, decimals, structs) stay an error naming the fix.
Status AppendUnavailableArray(const ColumnCodec& e, const ConverterOptions& o, JsonWriter& w) {
  switch (e.type) {
    case ValueType::kString:
    case ValueType::kJson:
    case ValueType::kXml:
    case ValueType::kEnum:
    case ValueType::kLtree:
    case ValueType::kTsvector:
    case ValueType::kTimeTz:
    case ValueType::kTimestampTz:
    case ValueType::kDecimalString:
    case ValueType::kIntervalString:
    case ValueType::kHstoreJson:
    case ValueType::kIsoDate:
    case ValueType::kIsoTime:
    case ValueType::kIsoTimestamp:
    case ValueType::kUnmappedText:
      w.BeginArray();
      w.String(o.unavailable_placeholder);
      w.EndArray();
      return Status::Ok();
    case ValueType::kUuid:
      w.BeginArray();
      w.String(NameUuidFromBytes(o.unavailable_placeholder));
      w.EndArray();
      return Status::Ok();
    case ValueType::kBytes:
    case ValueType::kUnknownBytes:
      // As a bytea column: the placeholder's bytes, or the placeholder when bytes render as text.
      w.BeginArray();
      if (e.binary == BinaryHandling::kBytes) {
        AppendBytes(e.binary, o.unavailable_placeholder, w);
      } else {
        w.String(o.unavailable_placeholder);
      }
      w.EndArray();
      return Status::Ok();
    case ValueType::kInt16:
    case ValueType::kInt32:
    case ValueType::kInt64:
    case ValueType::kDate:
    case ValueType::kConnectDate:
    case ValueType::kTimeMillis:
    case ValueType::kTimeMicros:
    case ValueType::kConnectTime:
    case ValueType::kTimestampMillis:
    case ValueType::kTimestampMicros:
    case ValueType::kConnectTimestamp:
    case ValueType::kIntervalMicros:
    case ValueType::kTimeNanos:
    case ValueType::kTimestampNanos:
      w.BeginArray();
      for (unsigned char ch : o.unavailable_placeholder) w.Int(ch);
      w.EndArray();
      return Status::Ok();
    case ValueType::kBool:
    case ValueType::kFloat32:
    case ValueType::kFloat64:
    case ValueType::kDecimal:
    case ValueType::kVariableDecimal:
    case ValueType::kDecimalDouble:
    case ValueType::kMoney:
    case ValueType::kBits:
    case ValueType::kArray:
    case ValueType::kPoint:
    case ValueType::kGeometry:
    case ValueType::kCircle:
    case ValueType::kLine:
    case ValueType::kHstoreMap: break;
  }
  return Status::InvalidArgument(
      "an unchanged TOAST value of an array of " +
      (e.type_name.empty() ? std::string("this type") : e.type_name) +
      " cannot be represented (Debezium has no placeholder for it); use REPLICA IDENTITY FULL "
      "on this table");
}

}  // namespace

Status AppendUnavailable(const ColumnCodec& c, const ConverterOptions& o, JsonWriter& w) {
  switch (ToastPlaceholderOf(c.type)) {
    case ToastPlaceholder::kText: w.String(o.unavailable_placeholder); return Status::Ok();
    case ToastPlaceholder::kMap:
      w.BeginObject();
      w.Key(o.unavailable_placeholder);
      w.String(o.unavailable_placeholder);
      w.EndObject();
      return Status::Ok();
    case ToastPlaceholder::kByElement: return AppendUnavailableArray(*c.element, o, w);
    case ToastPlaceholder::kBytes:
      // binary_handling bytes: the placeholder's bytes (base64 in JSON). The other modes make
      // the column a STRING, which gets the placeholder itself, as Debezium does in hex mode
      // (in base64 modes Debezium 3.6.1 writes null, indistinguishable from a real NULL).
      if (c.binary != BinaryHandling::kBytes) {
        w.String(o.unavailable_placeholder);
        return Status::Ok();
      }
      AppendBytes(c.binary, o.unavailable_placeholder, w);
      return Status::Ok();
    case ToastPlaceholder::kNone:
      return Status::InvalidArgument(
          "an unchanged TOAST value of a non-text column cannot be represented");
  }
  return Status::InvalidArgument("unknown value type");  // not reached: every shape is listed
}

bool RenderDefault(const ColumnCodec& c, std::string_view text, std::string* json) {
  json->clear();
  JsonWriter w(json);
  if (AppendValue(c, text, w).ok()) return true;
  json->clear();
  return false;
}

void AppendZeroValue(const ColumnCodec& c, JsonWriter& w) {
  switch (c.type) {
    case ValueType::kBool: w.Bool(false); return;
    case ValueType::kFloat32:
    case ValueType::kFloat64:
    case ValueType::kDecimalDouble: w.Raw("0.0"); return;
    case ValueType::kDecimal:
    case ValueType::kMoney:
    case ValueType::kVariableDecimal:
      // Zero renders the same in every scale: a single 0x00 byte.
      (void)AppendValue(c, "0", w);
      return;
    case ValueType::kDecimalString: {
      // Debezium 3.6.1 writes zero at the column's scale: "0.00" for numeric(6,2) and money.
      std::string zero = "0";
      if (c.scale > 0) {
        zero.push_back('.');
        zero.append(static_cast<size_t>(c.scale), '0');
      }
      w.String(zero);
      return;
    }
    case ValueType::kBytes:
    case ValueType::kUnknownBytes:
    case ValueType::kBits: w.String(""); return;
    case ValueType::kTimeTz: w.String("00:00:00Z"); return;
    // Debezium 3.6.1 writes the epoch without a fraction here, whatever the column's precision.
    case ValueType::kTimestampTz: w.String("1970-01-01T00:00:00Z"); return;
    case ValueType::kIntervalString: w.String("P0Y0M0DT0H0M0S"); return;
    case ValueType::kArray: w.Raw("[]"); return;
    case ValueType::kHstoreMap: w.Raw("{}"); return;
    case ValueType::kHstoreJson: w.String("{}"); return;
    // Debezium 3.6.1 fills the point's WKB: POINT(0 0), little-endian.
    case ValueType::kPoint:
      w.Raw(R"({"x":0.0,"y":0.0,"wkb":"AQEAAAAAAAAAAAAAAAAAAAAAAAAA","srid":null})");
      return;
    // Structs too (a plain 0 would not match their schema); Debezium 3.6.1 has no such types.
    case ValueType::kGeometry:
      w.BeginObject();
      w.Key("wkb");
      w.String("");
      w.Key("srid");
      w.Null();
      w.Key("extensions");
      w.BeginObject();
      w.Key("type");
      w.String(c.type_name);
      w.EndObject();
      w.EndObject();
      return;
    case ValueType::kCircle:
      w.Raw(R"({"center":{"x":0.0,"y":0.0,"wkb":"AQEAAAAAAAAAAAAAAAAAAAAAAAAA","srid":null},)"
            R"("radius":0.0})");
      return;
    case ValueType::kLine: w.Raw(R"({"a":0.0,"b":0.0,"c":0.0})"); return;
    // JdbcValueConverters' fall-backs in isostring mode.
    case ValueType::kIsoDate: w.String("1970-01-01Z"); return;
    case ValueType::kIsoTime: w.String("00:00:00Z"); return;
    case ValueType::kIsoTimestamp: w.String("1970-01-01T00:00:00Z"); return;
    case ValueType::kEnum:
    case ValueType::kLtree:
    case ValueType::kTsvector:
    case ValueType::kString:
    case ValueType::kUuid:
    case ValueType::kJson:
    case ValueType::kXml:
    case ValueType::kUnmappedText: w.String(""); return;
    case ValueType::kInt16:
    case ValueType::kInt32:
    case ValueType::kInt64:
    case ValueType::kDate:
    case ValueType::kConnectDate:
    case ValueType::kTimeMillis:
    case ValueType::kTimeMicros:
    case ValueType::kConnectTime:
    case ValueType::kTimestampMillis:
    case ValueType::kTimestampMicros:
    case ValueType::kConnectTimestamp:
    case ValueType::kIntervalMicros:
    case ValueType::kTimeNanos:
    case ValueType::kTimestampNanos:
      w.Int(0);
      return;  // integers, dates, times, timestamps, numeric intervals
  }
}

}  // namespace cdc
