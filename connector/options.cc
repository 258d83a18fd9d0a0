#include "connector/options.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "connector/run_id.h"
#include "connector/topic_names.h"
#include "decoders/base/check.h"

namespace cdc::connector {

namespace {

// config/ has its own enums (it depends on nothing of ours); each maps to the decoders' here,
// with a case per value and no default, so a new value cannot go unmapped.
DecimalHandling Map(config::DecimalMode m) {
  switch (m) {
    case config::DecimalMode::kPrecise: return DecimalHandling::kPrecise;
    case config::DecimalMode::kDouble: return DecimalHandling::kDouble;
    case config::DecimalMode::kString: return DecimalHandling::kString;
  }
  return DecimalHandling::kPrecise;  // not reached
}
NameAdjustment Map(config::NameAdjustmentMode m) {
  switch (m) {
    case config::NameAdjustmentMode::kNone: return NameAdjustment::kNone;
    case config::NameAdjustmentMode::kAvro: return NameAdjustment::kAvro;
    case config::NameAdjustmentMode::kAvroUnicode: return NameAdjustment::kAvroUnicode;
  }
  return NameAdjustment::kNone;  // not reached
}

BinaryHandling Map(config::BinaryMode m) {
  switch (m) {
    case config::BinaryMode::kBytes: return BinaryHandling::kBytes;
    case config::BinaryMode::kBase64: return BinaryHandling::kBase64;
    case config::BinaryMode::kBase64UrlSafe: return BinaryHandling::kBase64UrlSafe;
    case config::BinaryMode::kHex: return BinaryHandling::kHex;
  }
  return BinaryHandling::kBytes;  // not reached
}
TimePrecision Map(config::TimePrecisionMode m) {
  switch (m) {
    case config::TimePrecisionMode::kAdaptive: return TimePrecision::kAdaptive;
    case config::TimePrecisionMode::kAdaptiveTimeMicroseconds:
      return TimePrecision::kAdaptiveTimeMicroseconds;
    case config::TimePrecisionMode::kConnect: return TimePrecision::kConnect;
    case config::TimePrecisionMode::kIsoString: return TimePrecision::kIsoString;
    case config::TimePrecisionMode::kMicroseconds: return TimePrecision::kMicroseconds;
    case config::TimePrecisionMode::kNanoseconds: return TimePrecision::kNanoseconds;
  }
  return TimePrecision::kAdaptive;  // not reached
}
IntervalHandling Map(config::IntervalMode m) {
  switch (m) {
    case config::IntervalMode::kNumeric: return IntervalHandling::kNumeric;
    case config::IntervalMode::kString: return IntervalHandling::kString;
  }
  return IntervalHandling::kNumeric;  // not reached
}
HstoreHandling Map(config::HstoreMode m) {
  switch (m) {
    case config::HstoreMode::kJson: return HstoreHandling::kJson;
    case config::HstoreMode::kMap: return HstoreHandling::kMap;
  }
  return HstoreHandling::kJson;  // not reached
}
UnknownTypePolicy Map(config::UnknownTypes m) {
  switch (m) {
    case config::UnknownTypes::kFail: return UnknownTypePolicy::kFail;
    case config::UnknownTypes::kString: return UnknownTypePolicy::kString;
    case config::UnknownTypes::kSkip: return UnknownTypePolicy::kSkip;
    case config::UnknownTypes::kBytes: return UnknownTypePolicy::kBytes;
  }
  return UnknownTypePolicy::kFail;  // not reached
}

bool Skipped(const config::Config& c, const char* op) {
  const auto& ops = c.format.skipped_operations;
  return std::find(ops.begin(), ops.end(), op) != ops.end();
}

}  // namespace

EventOptions EventOptionsFrom(const config::Config& cfg, const std::string& version) {
  EventOptions o;
  o.name = cfg.name;
  o.transaction_topic = TransactionTopic(cfg.name);
  o.message_topic = MessageTopic(cfg.name);
  o.heartbeat_topic = HeartbeatTopic(cfg.name);
  o.source_version =
      cfg.format.source_version.empty() ? "pgcdc-" + version : cfg.format.source_version;
  switch (cfg.format.type) {
    case config::FormatType::kJson: o.format = RecordFormat::kJson; break;
    case config::FormatType::kAvro: o.format = RecordFormat::kAvro; break;
    case config::FormatType::kJsonSchema: o.format = RecordFormat::kJsonSchema; break;
    case config::FormatType::kProtobuf: o.format = RecordFormat::kProtobuf; break;
  }
  o.protobuf_optional_for_nullables = cfg.format.protobuf_optional_for_nullables;
  switch (cfg.format.schema_registry.subject_strategy) {
    case config::SubjectNameStrategy::kTopic: o.subject_strategy = SubjectStrategy::kTopic; break;
    case config::SubjectNameStrategy::kRecord: o.subject_strategy = SubjectStrategy::kRecord; break;
    case config::SubjectNameStrategy::kTopicRecord:
      o.subject_strategy = SubjectStrategy::kTopicRecord;
      break;
  }
  o.schemas = cfg.format.schemas;
  o.tombstones = cfg.format.tombstones;
  o.emit_truncate = !Skipped(cfg, "t");
  o.skip_create = Skipped(cfg, "c");
  o.skip_update = Skipped(cfg, "u");
  o.skip_delete = Skipped(cfg, "d");
  o.transaction_metadata = cfg.format.transaction_metadata;
  o.schema_name_adjustment = Map(cfg.format.schema_name_adjustment);
  o.field_name_adjustment = Map(cfg.format.field_name_adjustment);
  o.converter.decimal = Map(cfg.format.decimal_handling);
  o.converter.binary = Map(cfg.format.binary_handling);
  o.converter.time_precision = Map(cfg.format.time_precision);
  o.converter.money_fraction_digits = cfg.format.money_fraction_digits;
  o.converter.interval = Map(cfg.format.interval_handling);
  o.converter.hstore = Map(cfg.format.hstore_handling);
  o.converter.unknown_types = Map(cfg.format.unknown_types);
  o.converter.unavailable_placeholder = cfg.format.unavailable_value_placeholder;
  // The loader compiled the same patterns already (config_loader.cc CheckRegexes).
  auto rules = SourceTypeRules::Compile(cfg.format.column_propagate_source_type,
                                        cfg.format.datatype_propagate_source_type);
  CDC_CHECK(rules.ok());
  o.propagate_source_type = std::move(*rules);
  if (cfg.format.extended_headers) {
    // DebeziumHeaderProducer.contextHeaders(), in its order. The logical name is topic.prefix
    // (pgcdc's name); the PostgreSQL connector runs one task, "0" (CdcSourceTaskContext's
    // default); connectorName is Module.name(); runId is new at each start.
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now().time_since_epoch());
    o.context_headers = {
        {"__debezium.context.connectorLogicalName", cfg.name},
        {"__debezium.context.taskId", "0"},
        {"__debezium.context.connectorName", "postgresql"},
        {"__debezium.context.runId", NewRunId(static_cast<uint64_t>(now.count()))},
    };
  }
  return o;
}

ProcessorOptions ProcessorOptionsFrom(const config::Config& cfg) {
  ProcessorOptions o;
  o.emit_messages = cfg.format.messages;
  o.message_prefixes = cfg.format.message_prefixes;
  return o;
}

}  // namespace cdc::connector
