#pragma once

// The record encoder for the configured format: the one place the connector chooses how
// records are spelled (JSON with or without schemas, or Avro with ids from the Schema Registry
// client the Runner owns, so decoders/ stays free of network code). Each EventBuilder
// gets its own encoder (encoders keep per-thread buffers). Called by the stream's change
// processor and by each snapshot worker, on their threads.

#include <memory>

#include "decoders/events/change_record.h"
#include "decoders/events/event_options.h"

namespace cdc {

// `options` must outlive the encoder.
std::unique_ptr<RecordEncoder> MakeRecordEncoder(const EventOptions& options);

}  // namespace cdc
