#include "decoders/protobuf/proto_schema.h"

#include <algorithm>

namespace cdc {

namespace {

constexpr std::string_view kDecimalName = "org.apache.kafka.connect.data.Decimal";
constexpr std::string_view kDateName = "org.apache.kafka.connect.data.Date";
constexpr std::string_view kTimeName = "org.apache.kafka.connect.data.Time";
constexpr std::string_view kTimestampName = "org.apache.kafka.connect.data.Timestamp";

using Kind = ProtoField::Kind;

std::string_view LastSegment(std::string_view name) {
  const size_t dot = name.rfind('.');
  return dot == std::string_view::npos ? name : name.substr(dot + 1);
}

// ProtobufSchema.toMapEntry: a name with '_' goes from lower_underscore to UpperCamel (Guava's
// CaseFormat), then "Entry".
std::string MapEntryName(std::string_view name) {
  std::string out;
  if (name.find('_') == std::string_view::npos) {
    out = std::string(name);
  } else {
    bool upper = true;
    for (char c : name) {
      if (c == '_') {
        upper = true;
        continue;
      }
      const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
      if (upper && c >= 'a' && c <= 'z') {
        out.push_back(static_cast<char>(c - 'a' + 'A'));
      } else if (!upper && c >= 'A' && c <= 'Z') {
        out.push_back(static_cast<char>(c - 'A' + 'a'));
      } else {
        out.push_back(c);
      }
      if (alpha) upper = false;
    }
  }
  return out + "Entry";
}

std::string_view Param(const ConnectSchema& s, std::string_view key) {
  for (const auto& [k, v] : s.parameters) {
    if (k == key) return v;
  }
  return {};
}

class Builder {
 public:
  Builder(ProtoFile* file, std::string_view where, ProtoOptions options)
      : file_(file), where_(where), options_(options) {}

  // ProtobufData.getNameOrDefault: the name, or ConnectDefault<N> from the shared counter.
  std::string NameOrDefault(const std::string& name) {
    if (!name.empty()) return name;
    return "ConnectDefault" + std::to_string(++counter_);
  }

  void Import(std::string_view path) {
    if (std::find(file_->imports.begin(), file_->imports.end(), path) == file_->imports.end()) {
      file_->imports.emplace_back(path);
    }
  }

  Status Message(const ConnectSchema& s, ProtoMessage* m) {
    int tag = 1;
    for (const auto& f : s.fields) {
      ProtoField pf;
      pf.name = f.name;
      pf.tag = tag++;
      CDC_RETURN_IF_ERROR(Field(f.schema, m, &pf));
      // getLabel: repeated for lists and maps, else optional for an optional schema when asked.
      pf.optional = options_.optional_for_nullables && f.schema.optional && !pf.repeated;
      m->fields.push_back(std::move(pf));
    }
    return Status::Ok();
  }

  // Fills the type of `pf` from `s`, defining the nested messages it needs inside `parent`.
  Status Field(const ConnectSchema& s, ProtoMessage* parent, ProtoField* pf) {
    if (s.type == ConnectType::kArray) {
      if (!s.items) return Fail("an array without items", pf->name);
      if (s.items->type == ConnectType::kArray || s.items->type == ConnectType::kMap) {
        return Fail("an array of arrays or maps (Protobuf cannot nest them)", pf->name);
      }
      pf->repeated = true;
      return Single(*s.items, parent, pf);
    }
    if (s.type == ConnectType::kMap) {
      if (!s.keys || !s.values) return Fail("a map without key or value types", pf->name);
      pf->repeated = true;
      pf->map = true;
      pf->kind = Kind::kMessage;
      pf->type = MapEntryName(LastSegment(NameOrDefault(s.name)));
      auto entry = std::make_unique<ProtoMessage>();
      entry->name = pf->type;
      ProtoField k;
      k.name = "key";
      k.tag = 1;
      CDC_RETURN_IF_ERROR(Field(*s.keys, entry.get(), &k));
      ProtoField v;
      v.name = "value";
      v.tag = 2;
      CDC_RETURN_IF_ERROR(Field(*s.values, entry.get(), &v));
      entry->fields.push_back(std::move(k));
      entry->fields.push_back(std::move(v));
      pf->message = entry.get();
      parent->nested.push_back(std::move(entry));  // ProtobufData adds map entries unconditionally
      return Status::Ok();
    }
    return Single(s, parent, pf);
  }

 private:
  Status Fail(std::string_view what, std::string_view field) const {
    return Status::InvalidArgument(std::string(where_) + ": field '" + std::string(field) +
                                   "' is " + std::string(what));
  }

  Status Single(const ConnectSchema& s, ProtoMessage* parent, ProtoField* pf) {
    // Logical names first, as dataTypeFromConnectSchema checks them.
    if (s.name == kDecimalName) {
      pf->kind = Kind::kDecimal;
      pf->type = "confluent.type.Decimal";
      Import("confluent/type/decimal.proto");
      if (auto p = Param(s, "connect.decimal.precision"); !p.empty()) {
        pf->meta.emplace_back("precision", std::string(p));
      }
      const std::string_view scale = Param(s, "scale");
      pf->meta.emplace_back("scale", scale.empty() ? "0" : std::string(scale));
      pf->scale = scale.empty() ? 0 : std::stoi(std::string(scale));
      return Status::Ok();
    }
    if (s.name == kDateName) {
      pf->kind = Kind::kDate;
      pf->type = "google.type.Date";
      Import("google/type/date.proto");
      return Status::Ok();
    }
    if (s.name == kTimeName) {
      pf->kind = Kind::kTimeOfDay;
      pf->type = "google.type.TimeOfDay";
      Import("google/type/timeofday.proto");
      return Status::Ok();
    }
    if (s.name == kTimestampName) {
      pf->kind = Kind::kTimestamp;
      pf->type = "google.protobuf.Timestamp";
      Import("google/protobuf/timestamp.proto");
      return Status::Ok();
    }
    switch (s.type) {
      case ConnectType::kInt8:
      case ConnectType::kInt16:
        pf->kind = Kind::kInt32;
        pf->type = "int32";
        pf->meta.emplace_back("connect.type", s.type == ConnectType::kInt8 ? "int8" : "int16");
        return Status::Ok();
      case ConnectType::kInt32: pf->kind = Kind::kInt32, pf->type = "int32"; return Status::Ok();
      case ConnectType::kInt64: pf->kind = Kind::kInt64, pf->type = "int64"; return Status::Ok();
      case ConnectType::kFloat32: pf->kind = Kind::kFloat, pf->type = "float"; return Status::Ok();
      case ConnectType::kFloat64:
        pf->kind = Kind::kDouble, pf->type = "double";
        return Status::Ok();
      case ConnectType::kBoolean: pf->kind = Kind::kBool, pf->type = "bool"; return Status::Ok();
      case ConnectType::kString: pf->kind = Kind::kString, pf->type = "string"; return Status::Ok();
      case ConnectType::kBytes: pf->kind = Kind::kBytes, pf->type = "bytes"; return Status::Ok();
      case ConnectType::kStruct: return Struct(s, parent, pf);
      case ConnectType::kArray:
      case ConnectType::kMap: return Fail("an array of arrays or maps", pf->name);
    }
    return Fail("of an unknown type", pf->name);
  }

  Status Struct(const ConnectSchema& s, ProtoMessage* parent, ProtoField* pf) {
    std::string name(LastSegment(NameOrDefault(s.name)));
    if (name == pf->name) name += "Message";
    pf->kind = Kind::kMessage;
    pf->type = name;
    // ctx.contains: the parent itself, or a message already defined inside it.
    if (name == parent->name) {
      pf->message = parent;
      return Status::Ok();
    }
    for (const auto& n : parent->nested) {
      if (n->name == name) {
        pf->message = n.get();
        return Status::Ok();
      }
    }
    auto m = std::make_unique<ProtoMessage>();
    m->name = name;
    pf->message = m.get();
    // Defined before its fields are walked, so a recursive reference finds it.
    ProtoMessage* raw = m.get();
    parent->nested.push_back(std::move(m));
    return Message(s, raw);
  }

  ProtoFile* file_;
  std::string_view where_;
  ProtoOptions options_;
  int counter_ = 0;
};

// ProtobufSchemaUtils.escapeChars.
void AppendEscaped(std::string* out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '\a': out->append("\\a"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      case '\v': out->append("\\v"); break;
      case '\\': out->append("\\\\"); break;
      case '\'': out->append("\\'"); break;
      case '"': out->append("\\\""); break;
      default: out->push_back(c);
    }
  }
}

// appendIndented: every line of `text` (a blank one too) prefixed with two spaces.
void AppendIndented(std::string* out, std::string_view text) {
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    out->append("  ");
    out->append(text.substr(start, end - start));
    out->push_back('\n');
    start = end + 1;
  }
}

std::string FieldText(const ProtoField& f) {
  std::string s;
  if (f.repeated) s.append("repeated ");
  if (f.optional) s.append("optional ");
  s.append(f.type).append(" ").append(f.name).append(" = ").append(std::to_string(f.tag));
  if (!f.meta.empty()) {
    // One option, printed inline: [(confluent.field_meta) = {<map>}], the map's params a list.
    std::string items;
    for (size_t i = 0; i < f.meta.size(); ++i) {
      const auto& [key, value] = f.meta[i];
      std::string k = "key: \"";
      AppendEscaped(&k, key);
      k.push_back('"');
      std::string v = "value: \"";
      AppendEscaped(&v, value);
      v.push_back('"');
      const bool value_first = key == "precision" || key == "scale";
      std::string entry = "{\n";
      AppendIndented(&entry, (value_first ? v : k) + ",");
      AppendIndented(&entry, value_first ? k : v);
      entry.append("}");
      if (i + 1 < f.meta.size()) entry.push_back(',');
      AppendIndented(&items, entry);
    }
    std::string params = "params: [\n" + items + "]";
    std::string option = "(confluent.field_meta) = {\n";
    AppendIndented(&option, params);
    option.append("}");
    s.append(" [").append(option).append("]");
  }
  s.append(";\n");
  return s;
}

std::string MessageText(const ProtoMessage& m) {
  std::string s = "message " + m.name + " {";
  if (!m.fields.empty()) {
    s.push_back('\n');
    for (const auto& f : m.fields) AppendIndented(&s, FieldText(f));
  }
  if (!m.nested.empty()) {
    s.push_back('\n');
    for (const auto& n : m.nested) AppendIndented(&s, MessageText(*n));
  }
  s.append("}\n");
  return s;
}

}  // namespace

Result<std::shared_ptr<const ProtoFile>> ProtoFileOf(const ConnectSchema& connect,
                                                     std::string_view where, ProtoOptions options) {
  auto file = std::make_shared<ProtoFile>();
  if (connect.type != ConnectType::kStruct) {
    return Status::InvalidArgument(std::string(where) +
                                   ": only a struct can be a Protobuf record's root");
  }
  Builder b(file.get(), where, options);
  const std::string full = b.NameOrDefault(connect.name);
  const size_t dot = full.rfind('.');
  if (dot != std::string::npos) file->package = full.substr(0, dot);
  file->root = std::make_unique<ProtoMessage>();
  file->root->name = std::string(LastSegment(full));
  CDC_RETURN_IF_ERROR(b.Message(connect, file->root.get()));
  return std::shared_ptr<const ProtoFile>(std::move(file));
}

std::string ProtoSchemaText(const ProtoFile& file) {
  std::string s = "syntax = \"proto3\";\n";
  if (!file.package.empty()) s.append("package ").append(file.package).append(";\n");
  if (!file.imports.empty()) {
    s.push_back('\n');
    for (const auto& i : file.imports) s.append("import \"").append(i).append("\";\n");
  }
  s.push_back('\n');
  s.append(MessageText(*file.root));
  return s;
}

}  // namespace cdc
