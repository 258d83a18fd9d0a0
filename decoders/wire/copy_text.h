#pragma once

// Parser for one row of PostgreSQL's COPY ... TO STDOUT text format (the default format: tab
// separated, `\N` for NULL, backslash escapes). The snapshot reads tables with COPY because it is
// the server's fastest way out; the values are the same type-output text that pgoutput sends, so
// a parsed row goes through the same converters as a streamed one.
//
// Pure and bounds-checked: `line` comes from the network.

#include <string>
#include <string_view>

#include "decoders/base/status.h"
#include "decoders/wire/pgoutput_messages.h"

namespace cdc {

// Parses `line` (one row, with or without its trailing '\n') into `out`, which gets exactly
// `columns` values. De-escaped text is stored in `*storage`; the views in `out` point into it (or
// into `line`) and stay valid until either is modified. Corruption when the column count differs
// or an escape is malformed.
Status ParseCopyTextRow(std::string_view line, size_t columns, std::string* storage,
                        pgoutput::Tuple* out);

}  // namespace cdc
