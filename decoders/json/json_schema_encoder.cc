#include "decoders/json/json_schema_encoder.h"

#include "decoders/json/json_schema_text.h"

namespace cdc {

Status JsonSchemaEncoder::Describe(const ConnectSchema& connect, std::string_view /*where*/,
                                   Described* out) {
  out->text = JsonSchemaText(connect);
  return Status::Ok();
}

Status JsonSchemaEncoder::Write(const Described& schema, std::string_view json, std::string* out) {
  out->clear();
  WriteFrameHeader(out, schema.id);
  out->append(json);
  return Status::Ok();
}

bool JsonSchemaEncoder::FrameInPlace(const Described& schema, std::string* owner) {
  std::string header;
  WriteFrameHeader(&header, schema.id);
  owner->insert(0, header);
  return true;
}

}  // namespace cdc
