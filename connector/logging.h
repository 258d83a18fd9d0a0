#pragma once

// Logging set-up for the daemon: spdlog to stderr, UTC timestamps, one line per state change.
// `format` text is for people; json writes one JSON object per line ({"ts","level","msg"}),
// with the message escaped, for log shippers. Called once by main before anything logs.
// Every message is passed through config::Redact (config/redact.h) in both formats.

#include "config/config.h"

namespace cdc::connector {

void SetUpLogging(config::LogLevel level, config::LogFormat format);

// Keeps spdlog's default logger (stdout, used by the admin commands) but redacts its messages.
// Called by main before an admin command runs.
void RedactDefaultLogger();

}  // namespace cdc::connector
