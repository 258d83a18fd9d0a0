#include "connector/signals.h"

#include <cctype>
#include <nlohmann/json.hpp>
#include <regex>

namespace cdc::connector {

namespace {

Signal::Type TypeOf(std::string_view t) {
  if (t == "execute-snapshot") return Signal::Type::kExecuteSnapshot;
  if (t == "stop-snapshot") return Signal::Type::kStopSnapshot;
  if (t == "pause-snapshot") return Signal::Type::kPauseSnapshot;
  if (t == "resume-snapshot") return Signal::Type::kResumeSnapshot;
  return Signal::Type::kOther;
}

Status Bad(const Signal& s, const std::string& what) {
  return Status::InvalidArgument("signal '" + s.id + "' (" + s.type_name + "): " + what);
}

// Fills the members of `s` from its data object. nlohmann throws only on programming errors
// here: every member is type-checked before it is read.
Status ReadData(const nlohmann::json& data, Signal* s) {
  if (data.is_null()) return Status::Ok();
  if (!data.is_object()) return Bad(*s, "data must be a JSON object");
  if (auto c = data.find("data-collections"); c != data.end()) {
    if (!c->is_array()) return Bad(*s, "data-collections must be a list of names");
    for (const auto& name : *c) {
      if (!name.is_string()) return Bad(*s, "data-collections must be a list of names");
      s->collections.push_back(name.get<std::string>());
    }
  }
  if (auto t = data.find("type"); t != data.end()) {
    if (!t->is_string()) return Bad(*s, "type must be a string");
    std::string kind = t->get<std::string>();
    for (auto& ch : kind) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (s->type == Signal::Type::kExecuteSnapshot && kind != "incremental") {
      return Bad(*s, "snapshot type '" + t->get<std::string>() +
                         "' is not supported (pgcdc runs incremental snapshots only)");
    }
  }
  if (auto a = data.find("additional-conditions"); a != data.end() && !a->is_null()) {
    if (!a->is_array()) return Bad(*s, "additional-conditions must be a list");
    for (const auto& cond : *a) {
      auto dc = cond.find("data-collection");
      auto filter = cond.find("filter");
      if (!cond.is_object() || dc == cond.end() || !dc->is_string() || filter == cond.end() ||
          !filter->is_string()) {
        return Bad(*s, "each additional-conditions entry needs data-collection and filter strings");
      }
      s->conditions.emplace_back(dc->get<std::string>(), filter->get<std::string>());
    }
  }
  if (auto k = data.find("surrogate-key"); k != data.end() && !k->is_null()) {
    if (!k->is_string()) return Bad(*s, "surrogate-key must be a column name");
    s->surrogate_key = k->get<std::string>();
  }
  if (s->type == Signal::Type::kExecuteSnapshot && s->collections.empty()) {
    return Bad(*s, "data-collections is missing or empty");
  }
  return Status::Ok();
}

}  // namespace

Result<Signal> ParseSignal(std::string_view id, std::string_view type, std::string_view data) {
  Signal s;
  s.id = std::string(id);
  s.type_name = std::string(type);
  s.type = TypeOf(type);
  if (data.empty()) {
    if (s.type == Signal::Type::kExecuteSnapshot) return Bad(s, "data is missing");
    return s;
  }
  nlohmann::json j = nlohmann::json::parse(data, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Bad(s, "data is not valid JSON");
  CDC_RETURN_IF_ERROR(ReadData(j, &s));
  return s;
}

Result<Signal> ParseSignalMessage(std::string_view content) {
  nlohmann::json j = nlohmann::json::parse(content, nullptr, /*allow_exceptions=*/false);
  auto type = j.is_object() ? j.find("type") : j.end();
  if (!j.is_object() || type == j.end() || !type->is_string()) {
    return Status::InvalidArgument("pgcdc-signal message is not {\"type\": ..., \"data\": ...}");
  }
  Signal s;
  if (auto id = j.find("id"); id != j.end() && id->is_string()) s.id = id->get<std::string>();
  s.type_name = type->get<std::string>();
  s.type = TypeOf(s.type_name);
  if (auto d = j.find("data"); d != j.end()) CDC_RETURN_IF_ERROR(ReadData(*d, &s));
  if (s.type == Signal::Type::kExecuteSnapshot && s.collections.empty()) {
    return Bad(s, "data-collections is missing or empty");
  }
  return s;
}

std::string ExecuteSnapshotData(const std::vector<std::string>& tables, const std::string& where) {
  nlohmann::json j = {{"data-collections", tables}, {"type", "incremental"}};
  if (!where.empty()) {
    nlohmann::json conds = nlohmann::json::array();
    for (const auto& t : tables) conds.push_back({{"data-collection", t}, {"filter", where}});
    j["additional-conditions"] = std::move(conds);
  }
  return j.dump();
}

std::string SignalMessage(const std::string& id, const std::string& type, const std::string& data) {
  nlohmann::json j = {{"id", id}, {"type", type}};
  j["data"] = data.empty() ? nlohmann::json::object() : nlohmann::json::parse(data);
  return j.dump();
}

bool CollectionMatches(const std::string& pattern, const std::string& table) {
  try {
    return std::regex_match(table, std::regex(pattern, std::regex::icase | std::regex::ECMAScript));
  } catch (const std::regex_error&) {
    // Not an expression: a literal name (Debezium compares such names case-insensitively too).
    if (pattern.size() != table.size()) return false;
    for (size_t i = 0; i < pattern.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(pattern[i])) !=
          std::tolower(static_cast<unsigned char>(table[i]))) {
        return false;
      }
    }
    return true;
  }
}

}  // namespace cdc::connector
