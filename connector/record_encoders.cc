#include "connector/record_encoders.h"

#include "decoders/avro/avro_encoder.h"
#include "decoders/base/check.h"
#include "decoders/json/json_encoder.h"
#include "decoders/json/json_schema_encoder.h"
#include "decoders/protobuf/protobuf_encoder.h"

namespace cdc {

std::unique_ptr<RecordEncoder> MakeRecordEncoder(const EventOptions& options) {
  switch (options.format) {
    case RecordFormat::kAvro:
      // The Runner sets the registrar for every registry format (runner.cc).
      CDC_CHECK(options.registrar != nullptr);
      return std::make_unique<AvroEncoder>(options, *options.registrar);
    case RecordFormat::kJsonSchema:
      CDC_CHECK(options.registrar != nullptr);
      return std::make_unique<JsonSchemaEncoder>(options, *options.registrar);
    case RecordFormat::kProtobuf:
      CDC_CHECK(options.registrar != nullptr);
      return std::make_unique<ProtobufEncoder>(options, *options.registrar);
    case RecordFormat::kJson: break;
  }
  return std::make_unique<JsonEncoder>(options);
}

}  // namespace cdc
