#include "connector/options.h"

#include <algorithm>

namespace cdc::connector {

namespace {

DecimalHandling ParseDecimal(const std::string& s) {
  return s == "double" ? DecimalHandling::kDouble
         : s == "string" ? DecimalHandling::kString
                         : DecimalHandling::kPrecise;
}
BinaryHandling ParseBinary(const std::string& s) {
  return s == "base64"            ? BinaryHandling::kBase64
         : s == "base64-url-safe" ? BinaryHandling::kBase64UrlSafe
         : s == "hex"             ? BinaryHandling::kHex
                                  : BinaryHandling::kBytes;
}
TimePrecision ParseTimePrecision(const std::string& s) {
  return s == "connect"                      ? TimePrecision::kConnect
         : s == "adaptive_time_microseconds" ? TimePrecision::kAdaptiveTimeMicroseconds
                                             : TimePrecision::kAdaptive;
}
UnknownTypePolicy ParseUnknownTypes(const std::string& s) {
  return s == "string" ? UnknownTypePolicy::kString
         : s == "skip" ? UnknownTypePolicy::kSkip
                       : UnknownTypePolicy::kFail;
}

bool Skipped(const config::Config& c, const char* op) {
  const auto& ops = c.format.skipped_operations;
  return std::find(ops.begin(), ops.end(), op) != ops.end();
}

}  // namespace

EventOptions EventOptionsFrom(const config::Config& cfg, const std::string& version) {
  EventOptions o;
  o.name = cfg.name;
  o.source_version =
      cfg.format.source_version.empty() ? "pgcdc-" + version : cfg.format.source_version;
  o.schemas = cfg.format.schemas;
  o.tombstones = cfg.format.tombstones;
  o.emit_truncate = !Skipped(cfg, "t");
  o.skip_create = Skipped(cfg, "c");
  o.skip_update = Skipped(cfg, "u");
  o.skip_delete = Skipped(cfg, "d");
  o.transaction_metadata = cfg.format.transaction_metadata;
  o.converter.decimal = ParseDecimal(cfg.format.decimal_handling);
  o.converter.binary = ParseBinary(cfg.format.binary_handling);
  o.converter.time_precision = ParseTimePrecision(cfg.format.time_precision);
  o.converter.interval = cfg.format.interval_handling == "string" ? IntervalHandling::kString
                                                                  : IntervalHandling::kNumeric;
  o.converter.hstore =
      cfg.format.hstore_handling == "map" ? HstoreHandling::kMap : HstoreHandling::kJson;
  o.converter.unknown_types = ParseUnknownTypes(cfg.format.unknown_types);
  o.converter.unavailable_placeholder = cfg.format.unavailable_value_placeholder;
  return o;
}

ProcessorOptions ProcessorOptionsFrom(const config::Config& cfg) {
  ProcessorOptions o;
  o.emit_messages = cfg.format.messages;
  o.message_prefixes = cfg.format.message_prefixes;
  return o;
}

}  // namespace cdc::connector
