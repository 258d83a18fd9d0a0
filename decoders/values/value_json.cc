#include "decoders/values/value_json.h"

#include <cstdlib>
#include <cstring>
#include <optional>
#include <vector>

#include "decoders/base/base64.h"
#include "decoders/values/pg_binary.h"
#include "decoders/values/pg_text.h"
#include "decoders/values/pg_type_oids.h"

namespace cdc {

namespace {

using namespace pgtext;  // NOLINT(google-build-using-namespace): this file renders its forms

bool IsNumericSpecial(std::string_view t) {
  return t == "NaN" || t == "Infinity" || t == "-Infinity";
}

Status AppendDecimalBytes(std::string_view text, int scale, JsonWriter& w, std::string* scratch) {
  DecimalParts p;
  if (!ParseDecimal(text, &p) || !Rescale(&p, scale)) {
    return Status::InvalidArgument("numeric value '" + std::string(text) + "' does not fit scale " +
                                   std::to_string(scale));
  }
  scratch->clear();
  AppendBase64(scratch, UnscaledBytes(p));
  w.String(*scratch);
  return Status::Ok();
}

void AppendBinary(BinaryHandling mode, std::string_view bytes, JsonWriter& w,
                  std::string* scratch) {
  scratch->clear();
  switch (mode) {
    case BinaryHandling::kBytes:
    case BinaryHandling::kBase64: AppendBase64(scratch, bytes); break;
    case BinaryHandling::kBase64UrlSafe: AppendBase64(scratch, bytes, true); break;
    case BinaryHandling::kHex: AppendHex(scratch, bytes); break;
  }
  w.String(*scratch);
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool IsJsonNumber(std::string_view t) {
  if (t.empty()) return false;
  for (char c : t) {
    if (!(IsDigit(c) || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E')) return false;
  }
  return IsDigit(t.back());
}

bool IsInteger(std::string_view t) {
  size_t i = (!t.empty() && t[0] == '-') ? 1 : 0;
  if (i == t.size()) return false;
  for (; i < t.size(); ++i) {
    if (!IsDigit(t[i])) return false;
  }
  return true;
}

// A double as Kafka Connect's JsonConverter writes it (Jackson's DoubleNode/FloatNode): an
// integral value keeps its ".0" (3.0, not 3), which PostgreSQL's text form drops.
void AppendDoubleText(std::string_view t, JsonWriter& w) {
  if (!IsInteger(t)) {
    w.Raw(t);
    return;
  }
  std::string s(t);
  s.append(".0");
  w.Raw(s);
}

}  // namespace

Status UnparseableValue(std::string_view type, std::string_view text) {
  std::string shown(text.substr(0, 64));
  return Status::InvalidArgument("cannot parse " + std::string(type) + " value '" + shown + "'");
}

Status AppendValue(const ColumnCodec& c, std::string_view t, JsonWriter& w) {
  thread_local std::string scratch;
  switch (c.type) {
    case ValueType::kBool:
      // boolean prints t/f; bit(1), which Debezium also renders as a boolean, prints 1/0.
      if (t == "t" || t == "1") {
        w.Bool(true);
      } else if (t == "f" || t == "0") {
        w.Bool(false);
      } else {
        return UnparseableValue("boolean", t);
      }
      return Status::Ok();
    case ValueType::kInt16:
    case ValueType::kInt32:
    case ValueType::kInt64:
      if (!IsInteger(t)) return UnparseableValue("integer", t);
      w.Raw(t);
      return Status::Ok();
    case ValueType::kFloat32:
    case ValueType::kFloat64:
      // Jackson writes non-finite doubles as strings; so do we.
      if (t == "NaN" || t == "Infinity" || t == "-Infinity") {
        w.String(t);
      } else if (IsJsonNumber(t)) {
        AppendDoubleText(t, w);
      } else {
        return UnparseableValue("float", t);
      }
      return Status::Ok();
    case ValueType::kDecimal:
      if (IsNumericSpecial(t)) {
        return Status::InvalidArgument("numeric " + std::string(t) +
                                       " cannot be represented with decimal_handling: precise; "
                                       "use format.decimal_handling: string or double");
      }
      return AppendDecimalBytes(t, c.scale, w, &scratch);
    case ValueType::kMoney: {
      // convertMoney, precise: setScale(money.fraction.digits, HALF_UP).
      DecimalParts p;
      if (!ParseDecimal(MoneyToPlain(t), &p)) return UnparseableValue("money", t);
      RoundHalfUp(&p, c.scale);
      scratch.clear();
      AppendBase64(&scratch, UnscaledBytes(p));
      w.String(scratch);
      return Status::Ok();
    }
    case ValueType::kVariableDecimal: {
      if (IsNumericSpecial(t)) {
        return Status::InvalidArgument("numeric " + std::string(t) +
                                       " cannot be represented with decimal_handling: precise; "
                                       "use format.decimal_handling: string or double");
      }
      DecimalParts p;
      if (!ParseDecimal(t, &p)) return UnparseableValue("numeric", t);
      Rescale(&p, -1);
      w.BeginObject();
      w.Key("scale");
      w.Int(p.scale);
      w.Key("value");
      scratch.clear();
      AppendBase64(&scratch, UnscaledBytes(p));
      w.String(scratch);
      w.EndObject();
      return Status::Ok();
    }
    case ValueType::kDecimalDouble: {
      std::string plain = c.precision < 0 ? MoneyToPlain(t) : std::string(t);
      if (t == "NaN" || t == "Infinity" || t == "-Infinity") {
        w.String(t);
      } else if (IsJsonNumber(plain)) {
        // BigDecimal.doubleValue(): "1.0000" is the double 1.0, written 1.0.
        std::string shortest;
        pgbinary::AppendFloat8Text(&shortest, std::strtod(plain.c_str(), nullptr));
        AppendDoubleText(shortest, w);
      } else {
        return UnparseableValue("numeric", t);
      }
      return Status::Ok();
    }
    case ValueType::kDecimalString:
      if (t == "NaN") {
        w.String("NAN");
      } else if (t == "Infinity") {
        w.String("POSITIVE_INFINITY");
      } else if (t == "-Infinity") {
        w.String("NEGATIVE_INFINITY");
      } else {
        w.String(c.precision < 0 ? MoneyToPlain(t) : std::string(t));
      }
      return Status::Ok();
    case ValueType::kString:
    case ValueType::kUuid:
    case ValueType::kJson:
    case ValueType::kXml:
    case ValueType::kEnum:
    case ValueType::kLtree:
    case ValueType::kTsvector:
    case ValueType::kUnmappedText: w.String(t); return Status::Ok();
    // The text form's bytes (UTF-8: the client encoding pgcdc asks for), as Debezium's
    // convertBinary takes String.getBytes(UTF_8) of it.
    case ValueType::kUnknownBytes: AppendBinary(c.binary, t, w, &scratch); return Status::Ok();
    case ValueType::kBits: {
      std::string bytes;
      if (!BitsToBytes(t, &bytes)) return UnparseableValue("bit", t);
      scratch.clear();
      AppendBase64(&scratch, bytes);
      w.String(scratch);
      return Status::Ok();
    }
    case ValueType::kArray: {
      std::vector<std::optional<std::string>> elems;
      if (!ParseArray(t, &elems)) return UnparseableValue("array", t);
      w.BeginArray();
      for (const auto& e : elems) {
        if (!e) {
          w.Null();
        } else {
          CDC_RETURN_IF_ERROR(AppendValue(*c.element, *e, w));
        }
      }
      w.EndArray();
      return Status::Ok();
    }
    case ValueType::kPoint: {
      std::string_view x, y;
      if (!ParsePoint(t, &x, &y) || !IsJsonNumber(x) || !IsJsonNumber(y)) {
        return UnparseableValue("point", t);
      }
      w.BeginObject();
      w.Key("x");
      AppendDoubleText(x, w);
      w.Key("y");
      AppendDoubleText(y, w);
      w.Key("wkb");
      scratch.clear();
      AppendBase64(&scratch, PointWkb(std::strtod(std::string(x).c_str(), nullptr),
                                      std::strtod(std::string(y).c_str(), nullptr)));
      w.String(scratch);
      w.Key("srid");
      w.Null();
      w.EndObject();
      return Status::Ok();
    }
    case ValueType::kGeometry:
    case ValueType::kCircle:
    case ValueType::kLine: {
      std::vector<double> n;
      if (!ParseNumbers(t, &n))
        return UnparseableValue(c.type_name.empty() ? "geometry" : c.type_name, t);
      // Shortest round-trip digits, as Java's Double.toString picks them, with JsonConverter's
      // ".0" on integral values.
      auto number = [&w](double d) {
        std::string s;
        pgbinary::AppendFloat8Text(&s, d);
        AppendDoubleText(s, w);
      };
      w.BeginObject();
      if (c.type == ValueType::kLine) {
        if (n.size() != 3) return UnparseableValue("line", t);
        const char* names[3] = {"a", "b", "c"};
        for (int k = 0; k < 3; ++k) {
          w.Key(names[k]);
          number(n[static_cast<size_t>(k)]);
        }
      } else if (c.type == ValueType::kCircle) {
        if (n.size() != 3) return UnparseableValue("circle", t);
        w.Key("center");
        w.BeginObject();
        w.Key("x");
        number(n[0]);
        w.Key("y");
        number(n[1]);
        w.Key("wkb");
        scratch.clear();
        AppendBase64(&scratch, PointWkb(n[0], n[1]));
        w.String(scratch);
        w.Key("srid");
        w.Null();
        w.EndObject();
        w.Key("radius");
        number(n[2]);
      } else {
        if (n.size() < 4 || n.size() % 2 != 0) return UnparseableValue(c.type_name, t);
        // As Debezium's convertBox/convertPath (after 3.6.1, dbz#2135): a box "(x1,y1),(x2,y2)"
        // is the closed ring (x1,y1) (x1,y2) (x2,y2) (x2,y1); a path is a line string, open or
        // closed "((...))", the flag in the extensions (WKB has none).
        const bool closed_path = c.type_name == "path" && t.size() > 1 && t[0] == '(';
        std::string wkb;
        if (c.type_name == "box") {
          wkb = PolygonWkb({n[0], n[1], n[0], n[3], n[2], n[3], n[2], n[1]});
        } else if (c.type_name == "polygon") {
          wkb = PolygonWkb(n);
        } else {
          wkb = LineStringWkb(n);
        }
        w.Key("wkb");
        scratch.clear();
        AppendBase64(&scratch, wkb);
        w.String(scratch);
        w.Key("srid");
        w.Null();
        w.Key("extensions");
        w.BeginObject();
        w.Key("type");
        w.String(c.type_name);
        if (c.type_name == "path") {
          w.Key("closed");
          w.String(closed_path ? "true" : "false");
        }
        w.EndObject();
      }
      w.EndObject();
      return Status::Ok();
    }
    case ValueType::kHstoreJson:
    case ValueType::kHstoreMap: {
      std::vector<std::pair<std::string, std::optional<std::string>>> pairs;
      if (!ParseHstore(t, &pairs)) return UnparseableValue("hstore", t);
      // The object is a JSON value in map mode and a JSON document in a string in json mode.
      std::string obj;
      JsonWriter o(&obj);
      o.BeginObject();
      for (const auto& [k, v] : pairs) {
        o.Key(k);
        if (v) {
          o.String(*v);
        } else {
          o.Null();
        }
      }
      o.EndObject();
      if (c.type == ValueType::kHstoreMap) {
        w.Raw(obj);
      } else {
        w.String(obj);
      }
      return Status::Ok();
    }
    case ValueType::kBytes: {
      // Straight from the hex text to the output: a 100 MB value is not also held as bytes.
      std::string* out = w.BeginUnescapedString();
      const bool ok =
          c.binary == BinaryHandling::kHex
              ? AppendHexFromByteaHex(out, t)
              : AppendBase64FromByteaHex(out, t, c.binary == BinaryHandling::kBase64UrlSafe);
      if (!ok) return UnparseableValue("bytea (hex)", t);  // the caller drops the partial event
      w.EndUnescapedString();
      return Status::Ok();
    }
    case ValueType::kDate:
    case ValueType::kConnectDate:
    case ValueType::kIsoDate: return AppendDateValue(c, t, w);
    case ValueType::kTimeMillis:
    case ValueType::kTimeMicros:
    case ValueType::kTimeNanos:
    case ValueType::kConnectTime:
    case ValueType::kIsoTime:
    case ValueType::kTimeTz: return AppendTimeValue(c, t, w);
    case ValueType::kTimestampMillis:
    case ValueType::kTimestampMicros:
    case ValueType::kTimestampNanos:
    case ValueType::kConnectTimestamp:
    case ValueType::kIsoTimestamp:
    case ValueType::kTimestampTz: return AppendTimestampValue(c, t, w);
    case ValueType::kIntervalMicros:
    case ValueType::kIntervalString: return AppendIntervalValue(c, t, w);
  }
  return Status::InvalidArgument("unhandled value type");
}

void AppendBytes(BinaryHandling mode, std::string_view bytes, JsonWriter& w) {
  std::string scratch;
  AppendBinary(mode, bytes, w, &scratch);
}

}  // namespace cdc
