#include "connector/record_encoders.h"

#include "decoders/json/json_encoder.h"

namespace cdc {

std::unique_ptr<RecordEncoder> MakeRecordEncoder(const EventOptions& options) {
  return std::make_unique<JsonEncoder>(options);
}

}  // namespace cdc
