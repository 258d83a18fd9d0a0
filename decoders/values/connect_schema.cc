#include "decoders/values/connect_schema.h"

namespace cdc {

std::string_view ConnectTypeName(ConnectType type) {
  switch (type) {
    case ConnectType::kInt8: return "int8";
    case ConnectType::kInt16: return "int16";
    case ConnectType::kInt32: return "int32";
    case ConnectType::kInt64: return "int64";
    case ConnectType::kFloat32: return "float";
    case ConnectType::kFloat64: return "double";
    case ConnectType::kBoolean: return "boolean";
    case ConnectType::kString: return "string";
    case ConnectType::kBytes: return "bytes";
    case ConnectType::kArray: return "array";
    case ConnectType::kMap: return "map";
    case ConnectType::kStruct: return "struct";
  }
  return "string";  // not reached: every type is listed above
}

ConnectSchema ConnectSchema::Of(ConnectType type, bool optional) {
  ConnectSchema s;
  s.type = type;
  s.optional = optional;
  return s;
}

ConnectSchema ConnectSchema::Named(ConnectType type, bool optional, std::string name, int version) {
  ConnectSchema s = Of(type, optional);
  s.name = std::move(name);
  s.version = version;
  return s;
}

ConnectSchema& ConnectSchema::Add(std::string field, ConnectSchema schema) {
  fields.push_back(ConnectField{std::move(field), std::move(schema)});
  return *this;
}

}  // namespace cdc
