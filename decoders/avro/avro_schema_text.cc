// The canonical text of an AvroSchema (avro_schema.h): Java Avro's Schema.toString(), which is
// what a Schema Registry stores and compares, so every byte matters. Stateless apart from one
// Printer per call.

#include <set>

#include "decoders/avro/avro_schema.h"

namespace cdc {

// Jackson's string escaping (see the header).
void AppendJacksonString(std::string* out, std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out->push_back('"');
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\b': out->append("\\b"); break;
      case '\t': out->append("\\t"); break;
      case '\n': out->append("\\n"); break;
      case '\f': out->append("\\f"); break;
      case '\r': out->append("\\r"); break;
      default:
        if (c < 0x20) {
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 15]);
        } else {
          out->push_back(ch);
        }
    }
  }
  out->push_back('"');
}

namespace {

using Kind = AvroSchema::Kind;

const char* PrimitiveName(Kind k) {
  switch (k) {
    case Kind::kNull: return "null";
    case Kind::kBoolean: return "boolean";
    case Kind::kInt: return "int";
    case Kind::kLong: return "long";
    case Kind::kFloat: return "float";
    case Kind::kDouble: return "double";
    case Kind::kString: return "string";
    case Kind::kBytes: return "bytes";
    case Kind::kArray: return "array";
    case Kind::kMap: return "map";
    case Kind::kRecord: return "record";
    case Kind::kUnion: return "union";
  }
  return "null";
}

// Java Avro's Schema.toJson with its Names: `space` is the enclosing namespace.
class Printer {
 public:
  explicit Printer(std::string* out) : out_(out) {}

  void Print(const AvroSchema& s) {
    switch (s.kind) {
      case Kind::kUnion:
        out_->push_back('[');
        for (size_t i = 0; i < s.branches.size(); ++i) {
          if (i != 0) out_->push_back(',');
          Print(*s.branches[i]);
        }
        out_->push_back(']');
        return;
      case Kind::kRecord: {
        const std::string full = s.FullName();
        if (defined_.count(full) != 0) {
          // Name.getQualified: the short name inside its own namespace, else the full one.
          AppendJacksonString(out_, s.space == space_ ? s.name : full);
          return;
        }
        defined_.insert(full);
        const std::string saved = space_;
        out_->append("{\"type\":\"record\",\"name\":");
        AppendJacksonString(out_, s.name);
        if (!s.space.empty()) {
          if (s.space != space_) {
            out_->append(",\"namespace\":");
            AppendJacksonString(out_, s.space);
          }
        } else if (!space_.empty()) {
          out_->append(",\"namespace\":\"\"");  // a null namespace inside a non-null one
        }
        space_ = s.space;
        out_->append(",\"fields\":[");
        for (size_t i = 0; i < s.fields.size(); ++i) {
          const AvroSchema::Field& f = s.fields[i];
          if (i != 0) out_->push_back(',');
          out_->append("{\"name\":");
          AppendJacksonString(out_, f.name);
          out_->append(",\"type\":");
          Print(*f.schema);
          if (f.default_json) {
            out_->append(",\"default\":");
            out_->append(*f.default_json);
          }
          out_->push_back('}');
        }
        out_->push_back(']');
        Props(s);
        out_->push_back('}');
        space_ = saved;
        return;
      }
      case Kind::kArray:
      case Kind::kMap:
        out_->append(s.kind == Kind::kArray ? "{\"type\":\"array\",\"items\":"
                                            : "{\"type\":\"map\",\"values\":");
        Print(*s.items);
        Props(s);
        out_->push_back('}');
        return;
      case Kind::kNull:
      case Kind::kBoolean:
      case Kind::kInt:
      case Kind::kLong:
      case Kind::kFloat:
      case Kind::kDouble:
      case Kind::kString:
      case Kind::kBytes:
        if (s.props.empty()) {
          AppendJacksonString(out_, PrimitiveName(s.kind));
          return;
        }
        out_->append("{\"type\":");
        AppendJacksonString(out_, PrimitiveName(s.kind));
        Props(s);
        out_->push_back('}');
        return;
    }
  }

 private:
  void Props(const AvroSchema& s) {
    for (const auto& [k, v] : s.props) {
      out_->push_back(',');
      AppendJacksonString(out_, k);
      out_->push_back(':');
      out_->append(v);
    }
  }

  std::string* out_;
  std::string space_;
  std::set<std::string> defined_;
};

}  // namespace

std::string AvroSchemaText(const AvroSchema& schema) {
  std::string out;
  Printer p(&out);
  p.Print(schema);
  return out;
}

}  // namespace cdc
