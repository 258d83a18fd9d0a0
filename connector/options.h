#pragma once

// The one translation from the loaded configuration to the options of the pipeline's parts:
// what shapes the events (EventOptions) and what the stream publishes besides row changes
// (ProcessorOptions). `run`, `validate` and the tests all build them here.

#include <string>

#include "config/config.h"
#include "connector/change_processor.h"
#include "decoders/events/event_options.h"

namespace cdc::connector {

// `version` is pgcdc's, for source.version when the configuration does not set one.
EventOptions EventOptionsFrom(const config::Config& cfg, const std::string& version);
ProcessorOptions ProcessorOptionsFrom(const config::Config& cfg);

}  // namespace cdc::connector
