#pragma once

// The value transfer mode of one replication session (config source.value_transfer): whether
// START_REPLICATION asks pgoutput for "binary" 'true', so that every column whose type has a
// binary send function arrives in that format (PostgreSQL 14+). Binary halves the memory a large
// bytea takes (raw bytes instead of hex text), but pgcdc must then decode every captured
// column's send format (decoders/values/pg_binary.h); a type it does not decode, or an unmapped
// type kept under format.unknown_types: string (which needs its text form), forces text.
//
// Decided before every (re)connect from the live catalog. Called by the replication thread.

#include <string>

#include "config/config.h"
#include "connector/capture_rules.h"
#include "connector/catalog_reader.h"
#include "decoders/base/status.h"
#include "decoders/events/event_options.h"

namespace cdc::connector {

struct TransferDecision {
  bool binary = false;
  // Why text was chosen in auto mode ("" when binary, or text because configured): the first
  // captured column that forced it, e.g. "public.t.c has type money".
  std::string why_text;
};

// Everything the decision reads besides the catalog.
struct TransferInputs {
  config::ValueTransfer mode = config::ValueTransfer::kAuto;
  int server_version = 0;
  bool utf8_client = true;  // the session's client_encoding is UTF8
  std::string publication;
  // After a session ended because a binary value of an undecodable type arrived: text from
  // then on, whatever the catalog says now (the column may be gone while its changes are not).
  bool text_required = false;
};

// Returns the mode for the next session. Fails (FailedPrecondition, one line naming the column
// and type) only when source.value_transfer is binary and a captured column cannot be decoded
// in binary or the server is older than 14; Unavailable when the catalog cannot be read.
Result<TransferDecision> DecideValueTransfer(const TransferInputs& in, const std::string& dsn,
                                             const CaptureRules& rules, CatalogReader& catalog,
                                             const EventOptions& options);

// The reason as one log line ("value transfer: binary" / "value transfer: text (...)").
std::string DescribeTransfer(const TransferInputs& in, const TransferDecision& d);

}  // namespace cdc::connector
