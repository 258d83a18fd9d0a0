#include "decoders/protobuf/protobuf_encoder.h"

namespace cdc {

Status ProtobufEncoder::Describe(const ConnectSchema& connect, std::string_view where,
                                 Described* out) {
  auto file = ProtoFileOf(connect, where, ProtoOptions{options().protobuf_optional_for_nullables});
  if (!file.ok()) return file.status();
  out->text = ProtoSchemaText(**file);
  out->state = *file;
  return Status::Ok();
}

Status ProtobufEncoder::Write(const Described& schema, std::string_view json, std::string* out) {
  const auto& file = *static_cast<const ProtoFile*>(schema.state.get());
  out->clear();
  WriteFrameHeader(out, schema.id);
  out->push_back('\0');  // the message indexes [0]: the file's first (only) top-level message
  JsonCursor in(json);
  return writer_.WriteMessage(*file.root, in, out);
}

}  // namespace cdc
