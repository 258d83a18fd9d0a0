#pragma once

// MakeSink: the one place that turns `sink:` of the configuration into an EventSink, for `run`
// and `validate` alike (so validate checks the sink that run would build, dead-letter topic
// included). New sinks are added here and in config/.
//
// `listener` receives the sink's delivery reports and must outlive the sink. Fails with a line
// naming the bad setting.

#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "connector/publication_reconciler.h"
#include "decoders/base/status.h"
#include "sinks/event_sink.h"

namespace cdc::connector {

Result<std::unique_ptr<sinks::EventSink>> MakeSink(const config::SinkConfig& cfg,
                                                   sinks::DeliveryListener* listener);

// The destinations (topics) a start writes to that a sink may need to exist beforehand: one per
// captured table, plus the transaction and heartbeat topics when those are on.
std::vector<std::string> SinkDestinations(const config::Config& cfg, const CaptureSet& capture);

// For sinks whose destinations must exist before the first write (Kinesis streams): checks
// them, creating missing ones when the sink is configured to and `may_create` (run; validate
// passes false). `sink` must be the one MakeSink made for cfg.sink. A line saying what was found
// ("" for sinks with nothing to check), or one line naming every missing destination.
Result<std::string> CheckDestinations(const config::Config& cfg, const CaptureSet& capture,
                                      sinks::EventSink& sink, bool may_create);

}  // namespace cdc::connector
