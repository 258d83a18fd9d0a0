#pragma once

// Keeps secrets (passwords and other credentials from the configuration) out of everything pgcdc
// prints: log lines, error lines, `validate`/`status` output.
//
// The configuration loader registers each secret value as soon as it knows it (AddSecret); the
// places where text leaves the process (the log formatter, main's error line, libpq messages in
// connector/pg_connection.cc) pass it through Redact. Redact masks every run of the text that is
// made of 4-byte pieces of a registered secret, so neither a secret nor any fragment of it of 4
// or more bytes survives, wherever the text came from (a libpq parse error quoting half a
// password, a librdkafka log line). Fragments shorter than 4 bytes are not masked: they would
// mask ordinary words. Secrets are never removed.
//
// Threads: AddSecret and Redact may be called from any thread (a mutex guards the set).

#include <string>
#include <string_view>

namespace cdc::config {

// What a masked run is replaced with.
inline constexpr std::string_view kRedacted = "[redacted]";

// Adds `secret` to the process-wide set. Values shorter than 4 bytes add nothing.
void AddSecret(std::string_view secret);

// `text` with every run covered by 4-byte pieces of a registered secret replaced by kRedacted
// (widened to whole UTF-8 characters). Returns `text` unchanged when nothing matches.
std::string Redact(std::string_view text);

}  // namespace cdc::config
