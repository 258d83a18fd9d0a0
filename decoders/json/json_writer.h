#pragma once

// JsonWriter moved to decoders/values/json_writer.h (the value renderers, which the Avro encoder
// shares, use it). This forwarding header keeps connector/logging.cc building until it includes
// the new path; then it goes.

#include "decoders/values/json_writer.h"  // IWYU pragma: export
