#include "connector/incremental_state.h"

#include <nlohmann/json.hpp>

namespace cdc::connector {

namespace {

using Key = std::vector<std::optional<std::string>>;

nlohmann::json KeyToJson(const Key& k) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& v : k) j.push_back(v ? nlohmann::json(*v) : nlohmann::json(nullptr));
  return j;
}

Key KeyFromJson(const nlohmann::json& j) {
  Key k;
  for (const auto& v : j)
    k.push_back(v.is_null() ? std::nullopt : std::optional(v.get<std::string>()));
  return k;
}

}  // namespace

void IncrementalState::PopFront() {
  if (!queue.empty()) queue.pop_front();
  cursor.reset();
  max_key.reset();
  chunks = 0;
  rows = 0;
}

std::string EncodeIncrementalState(const IncrementalState& s) {
  if (s.empty() && !s.paused) return "";
  nlohmann::json tables = nlohmann::json::array();
  for (const auto& t : s.queue) {
    tables.push_back({{"table", t.name}, {"filter", t.filter}, {"surrogate_key", t.surrogate_key}});
  }
  nlohmann::json j = {
      {"tables", std::move(tables)}, {"chunks", s.chunks}, {"rows", s.rows}, {"paused", s.paused}};
  if (s.cursor) j["cursor"] = KeyToJson(*s.cursor);
  if (s.max_key) j["max_key"] = KeyToJson(*s.max_key);
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<IncrementalState> ParseIncrementalState(const std::string& text) {
  IncrementalState s;
  if (text.empty()) return s;
  try {
    nlohmann::json j = nlohmann::json::parse(text);
    for (const auto& t : j.at("tables")) {
      s.queue.push_back(IncrementalTable{t.at("table").get<std::string>(),
                                         t.value("filter", std::string()),
                                         t.value("surrogate_key", std::string())});
    }
    s.chunks = j.value("chunks", uint64_t{0});
    s.rows = j.value("rows", uint64_t{0});
    s.paused = j.value("paused", false);
    if (j.contains("cursor")) s.cursor = KeyFromJson(j.at("cursor"));
    if (j.contains("max_key")) s.max_key = KeyFromJson(j.at("max_key"));
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption(std::string("incremental_snapshot: ") + e.what());
  }
  return s;
}

}  // namespace cdc::connector
