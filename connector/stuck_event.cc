#include "connector/stuck_event.h"

#include <ctime>

#include "sinks/printable_key.h"

namespace cdc::connector {

void StuckEvent::SetKey(const char* data, size_t len) {
  if (data == nullptr) {
    key.reset();
    key_truncated = false;
    return;
  }
  bool cut = false;
  key = sinks::PrintableBytes({data, len}, kMaxKeyBytes, &cut);
  key_truncated = cut;
}

std::string DescribeStuck(const StuckEvent& e) {
  std::string s = "topic '" + e.topic + "'";
  if (!e.table.empty() && e.table != e.topic) s += " (table " + e.table + ")";
  s += " key " + (e.key ? *e.key : std::string("null"));
  if (e.key_truncated)
    s += " [key truncated to " + std::to_string(StuckEvent::kMaxKeyBytes) + " bytes]";
  s += (e.in_snapshot ? " in the snapshot at " : " at LSN ") + e.lsn.ToString();
  s += ": " + e.cause;
  if (!e.error.empty()) s += " (" + e.error + ")";
  return s;
}

std::string StuckWaysOut(const StuckEvent& e) {
  std::string fix;
  if (e.error == "MSG_SIZE_TOO_LARGE" || e.error == "INVALID_MSG_SIZE" ||
      e.error == "RECORD_LIST_TOO_LARGE") {
    fix =
        "raise the limit (sink.kafka.message.max.bytes for pgcdc's producer, and the topic's "
        "max.message.bytes or the broker's message.max.bytes)";
  } else if (e.error == "TOPIC_AUTHORIZATION_FAILED") {
    fix = "grant pgcdc's principal WRITE on topic '" + e.topic + "'";
  } else if (e.error == "_UNKNOWN_TOPIC" || e.error == "UNKNOWN_TOPIC_OR_PART") {
    fix = "create topic '" + e.topic + "'";
  } else {
    fix = "fix what the broker refuses";
  }
  return fix + ", or set sink.dead_letter_topic to divert such events; then start pgcdc again";
}

std::string UtcNow() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace cdc::connector
