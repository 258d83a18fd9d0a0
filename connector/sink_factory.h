#pragma once

// MakeSink: the one place that turns `sink:` of the configuration into an EventSink, for `run`
// and `validate` alike (so validate checks the sink that run would build, dead-letter topic
// included). New sinks are added here and in config/.
//
// `listener` receives the sink's delivery reports and must outlive the sink. Fails with a line
// naming the bad setting.

#include <memory>

#include "config/config.h"
#include "decoders/base/status.h"
#include "sinks/event_sink.h"

namespace cdc::connector {

Result<std::unique_ptr<sinks::EventSink>> MakeSink(const config::SinkConfig& cfg,
                                                   sinks::DeliveryListener* listener);

}  // namespace cdc::connector
