#pragma once

// The YAML spellings of the configuration's enums, in the order error messages list them. The
// loader parses with these tables; messages print with WordOf(). One table per enum: a new value
// is added to its enum and here, and nowhere else.

#include <string_view>
#include <utility>

#include "config/config.h"

namespace cdc::config {

template <typename E>
struct Words;

#define CDC_CONFIG_WORDS(E, ...)                                            \
  template <>                                                               \
  struct Words<E> {                                                         \
    static constexpr std::pair<std::string_view, E> kAll[] = {__VA_ARGS__}; \
  }

CDC_CONFIG_WORDS(SnapshotMode, {"initial", SnapshotMode::kInitial},
                 {"initial_only", SnapshotMode::kInitialOnly}, {"never", SnapshotMode::kNever},
                 {"always", SnapshotMode::kAlways}, {"when_needed", SnapshotMode::kWhenNeeded});
CDC_CONFIG_WORDS(NewTablesMode, {"incremental", NewTablesMode::kIncremental},
                 {"skip", NewTablesMode::kSkip});
CDC_CONFIG_WORDS(DecimalMode, {"precise", DecimalMode::kPrecise}, {"double", DecimalMode::kDouble},
                 {"string", DecimalMode::kString});
CDC_CONFIG_WORDS(BinaryMode, {"bytes", BinaryMode::kBytes}, {"base64", BinaryMode::kBase64},
                 {"base64-url-safe", BinaryMode::kBase64UrlSafe}, {"hex", BinaryMode::kHex});
CDC_CONFIG_WORDS(TimePrecisionMode, {"adaptive", TimePrecisionMode::kAdaptive},
                 {"adaptive_time_microseconds", TimePrecisionMode::kAdaptiveTimeMicroseconds},
                 {"connect", TimePrecisionMode::kConnect},
                 {"isostring", TimePrecisionMode::kIsoString},
                 {"microseconds", TimePrecisionMode::kMicroseconds},
                 {"nanoseconds", TimePrecisionMode::kNanoseconds});
CDC_CONFIG_WORDS(IntervalMode, {"numeric", IntervalMode::kNumeric},
                 {"string", IntervalMode::kString});
CDC_CONFIG_WORDS(NameAdjustmentMode, {"none", NameAdjustmentMode::kNone},
                 {"avro", NameAdjustmentMode::kAvro},
                 {"avro_unicode", NameAdjustmentMode::kAvroUnicode});
CDC_CONFIG_WORDS(FormatType, {"json", FormatType::kJson}, {"avro", FormatType::kAvro},
                 {"json_schema", FormatType::kJsonSchema}, {"protobuf", FormatType::kProtobuf});
CDC_CONFIG_WORDS(SubjectNameStrategy, {"topic", SubjectNameStrategy::kTopic},
                 {"record", SubjectNameStrategy::kRecord},
                 {"topic_record", SubjectNameStrategy::kTopicRecord});
CDC_CONFIG_WORDS(HstoreMode, {"json", HstoreMode::kJson}, {"map", HstoreMode::kMap});
CDC_CONFIG_WORDS(UnknownTypes, {"fail", UnknownTypes::kFail}, {"string", UnknownTypes::kString},
                 {"skip", UnknownTypes::kSkip}, {"bytes", UnknownTypes::kBytes});
CDC_CONFIG_WORDS(SinkType, {"kafka", SinkType::kKafka}, {"stdout", SinkType::kStdout},
                 {"redis", SinkType::kRedis}, {"nats", SinkType::kNats},
                 {"rabbitmq", SinkType::kRabbitmq}, {"kinesis", SinkType::kKinesis});
CDC_CONFIG_WORDS(RedisMessageFormat, {"compact", RedisMessageFormat::kCompact},
                 {"extended", RedisMessageFormat::kExtended});
CDC_CONFIG_WORDS(RedisEntryIds, {"position", RedisEntryIds::kPosition},
                 {"auto", RedisEntryIds::kAuto});
CDC_CONFIG_WORDS(LogLevel, {"trace", LogLevel::kTrace}, {"debug", LogLevel::kDebug},
                 {"info", LogLevel::kInfo}, {"warn", LogLevel::kWarn}, {"error", LogLevel::kError});
CDC_CONFIG_WORDS(LogFormat, {"text", LogFormat::kText}, {"json", LogFormat::kJson});
CDC_CONFIG_WORDS(ValueTransfer, {"auto", ValueTransfer::kAuto}, {"text", ValueTransfer::kText},
                 {"binary", ValueTransfer::kBinary});
CDC_CONFIG_WORDS(PartitionMode, {"root", PartitionMode::kRoot}, {"leaves", PartitionMode::kLeaves});

#undef CDC_CONFIG_WORDS

// The YAML word for `value`.
template <typename E>
constexpr std::string_view WordOf(E value) {
  for (const auto& [word, v] : Words<E>::kAll) {
    if (v == value) return word;
  }
  return "?";
}

}  // namespace cdc::config
