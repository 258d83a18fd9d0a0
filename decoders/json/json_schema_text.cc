#include "decoders/json/json_schema_text.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "decoders/values/json_writer.h"
#include "decoders/values/value_json.h"

namespace cdc {

namespace {

// One member of a JSON object: the key and the value's JSON text.
struct Member {
  std::string key;
  std::string json;
};

// Java's String.hashCode, over the UTF-16 code units of the UTF-8 text `s`.
int32_t JavaHash(std::string_view s) {
  uint32_t h = 0;
  auto add = [&h](uint32_t unit) { h = h * 31 + unit; };
  for (size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    uint32_t cp = b;
    size_t n = 1;
    if (b >= 0xF0 && i + 3 < s.size()) {
      cp = (b & 0x07u) << 18 | (s[i + 1] & 0x3Fu) << 12 | (s[i + 2] & 0x3Fu) << 6 |
           (s[i + 3] & 0x3Fu);
      n = 4;
    } else if (b >= 0xE0 && i + 2 < s.size()) {
      cp = (b & 0x0Fu) << 12 | (s[i + 1] & 0x3Fu) << 6 | (s[i + 2] & 0x3Fu);
      n = 3;
    } else if (b >= 0xC0 && i + 1 < s.size()) {
      cp = (b & 0x1Fu) << 6 | (s[i + 1] & 0x3Fu);
      n = 2;
    }
    if (cp >= 0x10000) {
      add(0xD800 + ((cp - 0x10000) >> 10));
      add(0xDC00 + ((cp - 0x10000) & 0x3FF));
    } else {
      add(cp);
    }
    i += n;
  }
  return static_cast<int32_t>(h);
}

// HashMap's bucket of a key in a table of `capacity` (a power of two): hash ^ (hash >>> 16).
size_t Bucket(std::string_view key, size_t capacity) {
  const auto h = static_cast<uint32_t>(JavaHash(key));
  return (h ^ (h >> 16)) & (capacity - 1);
}

size_t TableSizeFor(size_t n) {
  size_t c = 1;
  while (c < n) c <<= 1;
  return c;
}

// The table size of a HashMap after `n` puts: `new HashMap<>()` (16, doubled past 3/4 full) or
// `new HashMap<>(initial)` (tableSizeFor(initial), doubled likewise).
size_t GrownCapacity(size_t initial, size_t n) {
  size_t c = initial;
  while (n > c * 3 / 4) c <<= 1;
  return c;
}

// `new HashMap<>(map)` of `n` entries on Java 19+: tableSizeFor(ceil(n / 0.75)).
size_t CopyCapacity(size_t n) { return TableSizeFor((n * 4 + 2) / 3); }

// A HashMap iterates by bucket, and within a bucket in insertion order (resizing keeps it):
// putting `members` in order into a table of `capacity` iterates them in this order.
void HashMapOrder(std::vector<Member>& members, size_t capacity) {
  std::stable_sort(members.begin(), members.end(), [capacity](const Member& a, const Member& b) {
    return Bucket(a.key, capacity) < Bucket(b.key, capacity);
  });
}

std::string Quoted(std::string_view s) {
  std::string out;
  JsonWriter w(&out);
  w.String(s);
  return out;
}

std::string Object(const std::vector<Member>& members) {
  std::string out = "{";
  for (const Member& m : members) {
    if (out.size() > 1) out.push_back(',');
    out.append(Quoted(m.key));
    out.push_back(':');
    out.append(m.json);
  }
  out.push_back('}');
  return out;
}

std::string_view ConnectTypeProp(ConnectType type) {
  switch (type) {
    case ConnectType::kInt8: return "int8";
    case ConnectType::kInt16: return "int16";
    case ConnectType::kInt32: return "int32";
    case ConnectType::kInt64: return "int64";
    case ConnectType::kFloat32: return "float32";
    case ConnectType::kFloat64: return "float64";
    case ConnectType::kBytes: return "bytes";
    case ConnectType::kMap: return "map";
    case ConnectType::kBoolean:
    case ConnectType::kString:
    case ConnectType::kArray:
    case ConnectType::kStruct: break;
  }
  return {};
}

// connect.parameters: Collectors.toMap's HashMap (JsonSchemaData drops the converter's own
// io.confluent.connect.json.* keys), printed by org.json's JSONObject, a HashMap sized to it.
std::string ParametersJson(const ConnectSchema& s) {
  std::vector<Member> params;
  for (const auto& [key, value] : s.parameters) {
    if (std::string_view(key).starts_with("io.confluent.connect.json")) continue;
    params.push_back({key, Quoted(value)});
  }
  if (params.empty()) return {};
  HashMapOrder(params, GrownCapacity(16, params.size()));
  HashMapOrder(params, GrownCapacity(TableSizeFor(params.size()), params.size()));
  return Object(params);
}

std::string Text(const ConnectSchema& s, std::optional<int> index, bool required);

// {"connect.index":i,"oneOf":[{"type":"null"},inner]}: an optional field or an optional struct.
std::string OneOfNull(std::string inner, std::optional<int> index) {
  std::vector<Member> m;
  if (index) m.push_back({"connect.index", std::to_string(*index)});
  m.push_back({"oneOf", "[{\"type\":\"null\"}," + inner + "]"});
  return Object(m);
}

// JsonSchemaData.rawSchemaFromConnectSchema. `required`: nonOptional(s), the struct inside the
// oneOf of an optional struct.
std::string Text(const ConnectSchema& s, std::optional<int> index, bool required) {
  const bool optional = s.optional && !required;
  if (s.type == ConnectType::kStruct && optional) {
    return OneOfNull(Text(s, std::nullopt, true), index);
  }
  std::vector<Member> head;   // printed before the common keys
  std::vector<Member> props;  // the unprocessed properties, in insertion order
  std::vector<Member> tail;   // printed after them
  if (const std::string_view t = ConnectTypeProp(s.type); !t.empty()) {
    props.push_back({"connect.type", Quoted(t)});
  }
  switch (s.type) {
    case ConnectType::kInt8:
    case ConnectType::kInt16:
    case ConnectType::kInt32:
    case ConnectType::kInt64: head.push_back({"type", "\"integer\""}); break;
    case ConnectType::kFloat32:
    case ConnectType::kFloat64: head.push_back({"type", "\"number\""}); break;
    case ConnectType::kBoolean:
      // everit prints a boolean's "type" after the common keys.
      tail.push_back({"type", "\"boolean\""});
      break;
    case ConnectType::kString:
    case ConnectType::kBytes: head.push_back({"type", "\"string\""}); break;
    case ConnectType::kArray:
      head.push_back({"type", "\"array\""});
      tail.push_back({"items", Text(*s.items, std::nullopt, false)});
      break;
    case ConnectType::kMap:
      // PostgreSQL's maps (hstore) have required string keys: an object of the values.
      head.push_back({"type", "\"object\""});
      tail.push_back({"additionalProperties", Text(*s.values, std::nullopt, false)});
      break;
    case ConnectType::kStruct: {
      head.push_back({"type", "\"object\""});
      std::vector<Member> fields;
      for (size_t i = 0; i < s.fields.size(); ++i) {
        fields.push_back({s.fields[i].name, Text(s.fields[i].schema, static_cast<int>(i), false)});
      }
      if (!fields.empty()) {
        HashMapOrder(fields, GrownCapacity(16, fields.size()));
        tail.push_back({"properties", Object(fields)});
      }
      break;
    }
  }
  std::vector<Member> common;
  if (!s.name.empty()) common.push_back({"title", Quoted(s.name)});
  if (!s.doc.empty()) common.push_back({"description", Quoted(s.doc)});
  if (s.default_string) {
    common.push_back({"default", Quoted(*s.default_string)});
  } else if (s.default_text && s.default_codec) {
    std::string json;
    if (RenderDefault(*s.default_codec, *s.default_text, &json)) {
      common.push_back({"default", std::move(json)});
    }
  }
  if (s.version != 0) props.push_back({"connect.version", std::to_string(s.version)});
  if (std::string params = ParametersJson(s); !params.empty()) {
    props.push_back({"connect.parameters", std::move(params)});
  }
  auto print = [&](std::vector<Member> unprocessed) {
    // JsonSchemaData's HashMap, then everit's copy of it.
    HashMapOrder(unprocessed, GrownCapacity(16, unprocessed.size()));
    HashMapOrder(unprocessed, CopyCapacity(unprocessed.size()));
    std::vector<Member> all = head;
    all.insert(all.end(), common.begin(), common.end());
    all.insert(all.end(), unprocessed.begin(), unprocessed.end());
    all.insert(all.end(), tail.begin(), tail.end());
    return Object(all);
  };
  if (optional) return OneOfNull(print(std::move(props)), index);
  if (index) props.push_back({"connect.index", std::to_string(*index)});
  return print(std::move(props));
}

}  // namespace

std::string JsonSchemaText(const ConnectSchema& schema) {
  return Text(schema, std::nullopt, false);
}

}  // namespace cdc
