#include "connector/topic_names.h"

namespace cdc::connector {

std::string TableTopic(const std::string& prefix, const std::string& nspname,
                       const std::string& relname) {
  std::string topic = prefix + "." + nspname + "." + relname;
  for (char& c : topic) {
    const bool legal = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '.' || c == '_' || c == '-';
    if (!legal) c = '_';
  }
  return topic;
}

std::string TransactionTopic(const std::string& prefix) { return prefix + ".transaction"; }
std::string MessageTopic(const std::string& prefix) { return prefix + ".message"; }
std::string HeartbeatTopic(const std::string& prefix) { return "__debezium-heartbeat." + prefix; }

}  // namespace cdc::connector
