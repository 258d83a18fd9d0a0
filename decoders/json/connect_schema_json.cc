#include "decoders/json/connect_schema_json.h"

#include "decoders/values/value_json.h"

namespace cdc {

void AppendConnectSchema(const ConnectSchema& s, JsonWriter& w, std::string_view field) {
  w.BeginObject();
  w.Key("type");
  w.String(ConnectTypeName(s.type));
  if (s.type == ConnectType::kStruct) {
    w.Key("fields");
    w.BeginArray();
    for (const ConnectField& f : s.fields) AppendConnectSchema(f.schema, w, f.name);
    w.EndArray();
  }
  if (s.items) {
    w.Key("items");
    AppendConnectSchema(*s.items, w);
  }
  if (s.keys) {
    w.Key("keys");
    AppendConnectSchema(*s.keys, w);
  }
  if (s.values) {
    w.Key("values");
    AppendConnectSchema(*s.values, w);
  }
  w.Key("optional");
  w.Bool(s.optional);
  if (!s.name.empty()) {
    w.Key("name");
    w.String(s.name);
  }
  if (s.version != 0) {
    w.Key("version");
    w.Int(s.version);
  }
  if (!s.doc.empty()) {
    w.Key("doc");
    w.String(s.doc);
  }
  if (!s.parameters.empty()) {
    w.Key("parameters");
    w.BeginObject();
    for (const auto& [key, value] : s.parameters) {
      w.Key(key);
      w.String(value);
    }
    w.EndObject();
  }
  if (s.default_string) {
    w.Key("default");
    w.String(*s.default_string);
  }
  if (s.default_text && s.default_codec) {
    std::string json;
    if (RenderDefault(*s.default_codec, *s.default_text, &json)) {
      w.Key("default");
      w.Raw(json);
    }
  }
  if (!field.empty()) {
    w.Key("field");
    w.String(field);
  }
  w.EndObject();
}

std::string ConnectSchemaJson(const ConnectSchema& schema) {
  std::string out;
  JsonWriter w(&out);
  AppendConnectSchema(schema, w);
  return out;
}

}  // namespace cdc
