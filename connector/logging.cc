#include "connector/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "config/redact.h"
#include "decoders/values/json_writer.h"

namespace cdc::connector {

namespace {

// Every message passes through config::Redact: no log line can carry a secret, whichever code
// (ours, libpq's or librdkafka's text) produced it.
std::string RedactedPayload(const spdlog::details::log_msg& msg) {
  return config::Redact(std::string_view(msg.payload.data(), msg.payload.size()));
}

// %*: the message, redacted.
class RedactedMessage final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const std::string text = RedactedPayload(msg);
    dest.append(text.data(), text.data() + text.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<RedactedMessage>();
  }
};

// %j: the message, redacted, as the contents of a JSON string.
class JsonEscapedMessage final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    std::string escaped;
    JsonWriter::AppendEscaped(&escaped, RedactedPayload(msg));
    dest.append(escaped.data(), escaped.data() + escaped.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonEscapedMessage>();
  }
};

}  // namespace

void SetUpLogging(config::LogLevel level, config::LogFormat format) {
  auto logger = spdlog::stderr_color_mt("pgcdc");
  if (format == config::LogFormat::kJson) {
    auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
    formatter->add_flag<JsonEscapedMessage>('j').set_pattern(
        R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","msg":"%j"})");
    logger->set_formatter(std::move(formatter));
  } else {
    auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
    formatter->add_flag<RedactedMessage>('*').set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %*");
    logger->set_formatter(std::move(formatter));
  }
  spdlog::set_default_logger(logger);
  switch (level) {
    case config::LogLevel::kTrace: spdlog::set_level(spdlog::level::trace); break;
    case config::LogLevel::kDebug: spdlog::set_level(spdlog::level::debug); break;
    case config::LogLevel::kInfo: spdlog::set_level(spdlog::level::info); break;
    case config::LogLevel::kWarn: spdlog::set_level(spdlog::level::warn); break;
    case config::LogLevel::kError: spdlog::set_level(spdlog::level::err); break;
  }
}

void RedactDefaultLogger() {
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  // spdlog's default pattern ("%+") with the message redacted.
  formatter->add_flag<RedactedMessage>('*').set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%^%l%$] %*");
  spdlog::default_logger()->set_formatter(std::move(formatter));
}

}  // namespace cdc::connector
