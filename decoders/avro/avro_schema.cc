#include "decoders/avro/avro_schema.h"

#include <map>

#include "decoders/base/base64.h"
#include "decoders/values/json_cursor.h"
#include "decoders/values/value_json.h"

namespace cdc {

namespace {

using Kind = AvroSchema::Kind;
using Node = std::shared_ptr<const AvroSchema>;

constexpr std::string_view kDecimalName = "org.apache.kafka.connect.data.Decimal";
constexpr std::string_view kDateName = "org.apache.kafka.connect.data.Date";
constexpr std::string_view kTimeName = "org.apache.kafka.connect.data.Time";
constexpr std::string_view kTimestampName = "org.apache.kafka.connect.data.Timestamp";
constexpr int kDefaultDecimalPrecision = 64;  // AvroData's CONNECT_AVRO_DECIMAL_PRECISION_DEFAULT

std::string Quoted(std::string_view s) {
  std::string out;
  AppendJacksonString(&out, s);
  return out;
}

// Java Avro's Schema.validateName, restricted to ASCII as the Avro specification is.
bool IsValidAvroName(std::string_view n) {
  if (n.empty()) return false;
  auto alpha = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; };
  if (!alpha(n[0])) return false;
  for (char c : n) {
    if (!alpha(c) && !(c >= '0' && c <= '9')) return false;
  }
  return true;
}

const std::string* Parameter(const ConnectSchema& s, std::string_view key) {
  for (const auto& [k, v] : s.parameters) {
    if (k == key) return &v;
  }
  return nullptr;
}

// The Connect default of `s` as JsonConverter renders it; nullopt: none (or not renderable, in
// which case Debezium declares none either).
std::optional<std::string> ConnectDefaultJson(const ConnectSchema& s) {
  if (s.default_string) return Quoted(*s.default_string);
  if (s.default_text && s.default_codec) {
    std::string json;
    if (RenderDefault(*s.default_codec, *s.default_text, &json)) return json;
  }
  return std::nullopt;
}

// AvroData.defaultValueFromConnect over the JSON form of a Connect value: the same JSON except
// BYTES, which Avro spells as a string of ISO-8859-1 characters (one per byte).
bool AvroDefaultJson(const ConnectSchema& s, JsonCursor& in, std::string* out) {
  if (in.Peek() == 'n') {
    out->append("null");
    return in.ReadNull();
  }
  std::string str;
  switch (s.type) {
    case ConnectType::kBytes: {
      std::string bytes;
      if (!in.ReadString(&str) || !AppendBase64Decoded(&bytes, str)) return false;
      std::string latin1;
      for (char b : bytes) {
        auto c = static_cast<unsigned char>(b);
        if (c < 0x80) {
          latin1.push_back(b);
        } else {
          latin1.push_back(static_cast<char>(0xC0 | (c >> 6)));
          latin1.push_back(static_cast<char>(0x80 | (c & 0x3F)));
        }
      }
      AppendJacksonString(out, latin1);
      return true;
    }
    case ConnectType::kString:
      if (!in.ReadString(&str)) return false;
      AppendJacksonString(out, str);
      return true;
    case ConnectType::kBoolean: {
      bool b;
      if (!in.ReadBool(&b)) return false;
      out->append(b ? "true" : "false");
      return true;
    }
    case ConnectType::kArray: {
      bool more;
      if (!in.BeginArray()) return false;
      out->push_back('[');
      for (bool first = true;; first = false) {
        if (!in.NextElement(&more)) return false;
        if (!more) break;
        if (!first) out->push_back(',');
        if (!AvroDefaultJson(*s.items, in, out)) return false;
      }
      out->push_back(']');
      return true;
    }
    case ConnectType::kMap:
    case ConnectType::kStruct: {
      bool more;
      if (!in.BeginObject()) return false;
      out->push_back('{');
      for (bool first = true;; first = false) {
        std::string key;
        if (!in.NextKey(&key, &more)) return false;
        if (!more) break;
        if (!first) out->push_back(',');
        AppendJacksonString(out, key);
        out->push_back(':');
        const ConnectSchema* member = s.values.get();
        if (s.type == ConnectType::kStruct) {
          member = nullptr;
          for (const ConnectField& f : s.fields) {
            if (f.name == key) member = &f.schema;
          }
        }
        if (member == nullptr || !AvroDefaultJson(*member, in, out)) return false;
      }
      out->push_back('}');
      return true;
    }
    case ConnectType::kInt8:
    case ConnectType::kInt16:
    case ConnectType::kInt32:
    case ConnectType::kInt64:
    case ConnectType::kFloat32:
    case ConnectType::kFloat64: {
      std::string_view token;
      if (in.Peek() == '"') {  // NaN and the infinities, which Jackson quotes
        if (!in.ReadString(&str)) return false;
        AppendJacksonString(out, str);
        return true;
      }
      if (!in.ReadNumber(&token)) return false;
      out->append(token);
      return true;
    }
  }
  return false;
}

// Avro's Schema.Field default check (isValidDefault), on the JSON text: a union's default must
// match its first branch. Returns false for a default Java would drop with a warning.
bool IsValidDefault(const AvroSchema& s, std::string_view json) {
  JsonCursor c(json);
  const AvroSchema* t = &s;
  if (t->kind == Kind::kUnion) t = t->branches.front().get();
  char p = c.Peek();
  switch (t->kind) {
    case Kind::kNull: return p == 'n';
    case Kind::kBoolean: return p == 't' || p == 'f';
    case Kind::kInt:
    case Kind::kLong: return p == '0' && json.find_first_of(".eE") == std::string_view::npos;
    case Kind::kFloat:
    case Kind::kDouble: return p == '0';
    case Kind::kString:
    case Kind::kBytes: return p == '"';
    case Kind::kArray: return p == '[';
    case Kind::kMap:
    case Kind::kRecord: return p == '{';
    case Kind::kUnion: return false;
  }
  return false;
}

class Converter {
 public:
  explicit Converter(std::string_view where) : where_(where) {}

  Result<Node> Convert(const ConnectSchema& s) {
    if (s.optional) {
      Result<Node> base = ConvertRequired(s);
      if (!base.ok()) return base.status();
      auto u = std::make_shared<AvroSchema>();
      u->kind = Kind::kUnion;
      auto null = std::make_shared<AvroSchema>();
      null->kind = Kind::kNull;
      // maybeMakeOptional: a default must match the first branch, so it goes before null.
      // Structs are always ["null", record] (AvroData's STRUCT case).
      if (s.type != ConnectType::kStruct && ConnectDefaultJson(s)) {
        u->branches = {*base, null};
      } else {
        u->branches = {null, *base};
      }
      return Node(u);
    }
    return ConvertRequired(s);
  }

 private:
  Status BadName(std::string_view what, std::string_view name) const {
    return Status::InvalidArgument(
        std::string(what) + " '" + std::string(name) + "' of " + std::string(where_) +
        " is not a valid Avro name (it must match [A-Za-z_][A-Za-z0-9_]*, and Schema Registry "
        "clients reject it): rename it, or choose a topic prefix (and table, schema and column "
        "names) made of letters, digits and '_' only");
  }

  Result<Node> ConvertRequired(const ConnectSchema& s) {
    auto n = std::make_shared<AvroSchema>();
    const char* connect_type = nullptr;
    switch (s.type) {
      case ConnectType::kInt8:
        n->kind = Kind::kInt;
        connect_type = "int8";
        break;
      case ConnectType::kInt16:
        n->kind = Kind::kInt;
        connect_type = "int16";
        break;
      case ConnectType::kInt32: n->kind = Kind::kInt; break;
      case ConnectType::kInt64: n->kind = Kind::kLong; break;
      case ConnectType::kFloat32: n->kind = Kind::kFloat; break;
      case ConnectType::kFloat64: n->kind = Kind::kDouble; break;
      case ConnectType::kBoolean: n->kind = Kind::kBoolean; break;
      case ConnectType::kString: n->kind = Kind::kString; break;
      case ConnectType::kBytes: n->kind = Kind::kBytes; break;
      case ConnectType::kArray: {
        n->kind = Kind::kArray;
        Result<Node> items = Convert(*s.items);
        if (!items.ok()) return items.status();
        n->items = *items;
        break;
      }
      case ConnectType::kMap: {
        if (s.keys->type != ConnectType::kString || s.keys->optional) {
          // AvroData's MapEntry record array: no Debezium PostgreSQL type has such a map.
          return Status::InvalidArgument("a map with non-string keys in " + std::string(where_) +
                                         " has no Avro mapping in pgcdc");
        }
        n->kind = Kind::kMap;
        Result<Node> values = Convert(*s.values);
        if (!values.ok()) return values.status();
        n->items = *values;
        break;
      }
      case ConnectType::kStruct: {
        std::string full = s.name;
        if (full.empty()) {
          ++default_names_;
          full = "io.confluent.connect.avro.ConnectDefault" +
                 (default_names_ > 1 ? std::to_string(default_names_) : "");
        } else if (auto it = records_.find(full); it != records_.end()) {
          return it->second;  // AvroData's schemaMap: the same record, printed as a reference
        }
        n->kind = Kind::kRecord;
        size_t dot = full.rfind('.');
        n->name = dot == std::string::npos ? full : full.substr(dot + 1);
        n->space = dot == std::string::npos ? "" : full.substr(0, dot);
        if (!IsValidAvroName(n->name)) return BadName("record name", full);
        for (const ConnectField& f : s.fields) {
          if (!IsValidAvroName(f.name)) return BadName("field name", f.name);
          Result<Node> fs = Convert(f.schema);
          if (!fs.ok()) return fs.status();
          AvroSchema::Field field{f.name, *fs, std::nullopt};
          if (std::optional<std::string> d = ConnectDefaultJson(f.schema)) {
            std::string avro;
            JsonCursor c(*d);
            if (AvroDefaultJson(f.schema, c, &avro) && IsValidDefault(**fs, avro)) {
              field.default_json = std::move(avro);
            }
          } else if (f.schema.optional) {
            field.default_json = "null";
          }
          n->fields.push_back(std::move(field));
        }
        break;
      }
    }

    // Decimal's scale and precision come first (the BYTES case), then the metadata.
    const bool decimal = s.type == ConnectType::kBytes && s.name == kDecimalName;
    if (decimal) {
      const std::string* scale = Parameter(s, "scale");
      const std::string* precision = Parameter(s, "connect.decimal.precision");
      n->props.emplace_back("scale", scale != nullptr ? *scale : "0");
      n->props.emplace_back("precision", precision != nullptr
                                             ? *precision
                                             : std::to_string(kDefaultDecimalPrecision));
    }
    if (!s.doc.empty()) n->props.emplace_back("connect.doc", Quoted(s.doc));
    if (s.version != 0) n->props.emplace_back("connect.version", std::to_string(s.version));
    if (!s.parameters.empty()) {
      std::string params = "{";
      for (const auto& [k, v] : s.parameters) {
        if (params.size() > 1) params.push_back(',');
        AppendJacksonString(&params, k);
        params.push_back(':');
        AppendJacksonString(&params, v);
      }
      params.push_back('}');
      n->props.emplace_back("connect.parameters", std::move(params));
    }
    if (std::optional<std::string> d = ConnectDefaultJson(s)) {
      std::string avro;
      JsonCursor c(*d);
      if (AvroDefaultJson(s, c, &avro)) n->props.emplace_back("connect.default", std::move(avro));
    }
    if (!s.name.empty()) n->props.emplace_back("connect.name", Quoted(s.name));
    if (connect_type != nullptr) n->props.emplace_back("connect.type", Quoted(connect_type));
    // Connect's own logical types become Avro's (LogicalType.addToSchema appends logicalType;
    // the legacy property that follows in AvroData has the same value, so adds nothing).
    if (decimal) {
      n->props.emplace_back("logicalType", "\"decimal\"");
    } else if (s.name == kDateName) {
      n->props.emplace_back("logicalType", "\"date\"");
    } else if (s.name == kTimeName) {
      n->props.emplace_back("logicalType", "\"time-millis\"");
    } else if (s.name == kTimestampName) {
      n->props.emplace_back("logicalType", "\"timestamp-millis\"");
    }
    if (n->kind == Kind::kRecord && !s.name.empty()) records_[s.name] = n;
    return Node(n);
  }

  std::string_view where_;
  std::map<std::string, Node, std::less<>> records_;
  int default_names_ = 0;
};

}  // namespace

int AvroSchema::NullBranch() const {
  if (kind != Kind::kUnion || branches.size() != 2) return -1;
  if (branches[0]->kind == Kind::kNull) return 0;
  if (branches[1]->kind == Kind::kNull) return 1;
  return -1;
}

Result<std::shared_ptr<const AvroSchema>> AvroSchemaOf(const ConnectSchema& connect,
                                                       std::string_view where) {
  Converter c(where);
  return c.Convert(connect);
}

}  // namespace cdc
