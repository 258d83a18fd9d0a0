#include "connector/capture_rules.h"

#include <map>

#include "connector/topic_names.h"

namespace cdc::connector {

namespace {

// '*'-wildcard matching, backtracking to the last star only: linear in practice, no recursion.
// `same(element, ch)` is tried before `is_star(element)`, so a pattern element that equals the
// text's character matches it literally first.
template <typename Pattern, typename Same, typename IsStar>
bool WildcardMatch(const Pattern& pattern, const std::string& text, Same same, IsStar is_star) {
  size_t p = 0, t = 0, star = std::string::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && same(pattern[p], text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && is_star(pattern[p])) {
      star = p++;
      mark = t;
    } else if (star != std::string::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && is_star(pattern[p])) ++p;
  return p == pattern.size();
}

}  // namespace

bool GlobMatch(const std::string& pattern, const std::string& text) {
  return WildcardMatch(
      pattern, text, [](char a, char b) { return a == b; }, [](char a) { return a == '*'; });
}

namespace {

// One part of an include-list entry: characters to match exactly, and kAnyRun for an unquoted '*'.
using PatternPart = std::vector<int>;
constexpr int kAnyRun = -1;

bool PartMatch(const PatternPart& pattern, const std::string& text) {
  return WildcardMatch(
      pattern, text, [](int a, char b) { return a == static_cast<unsigned char>(b); },
      [](int a) { return a == kAnyRun; });
}

// Splits `entry` at its first unquoted dot into schema and table parts, folding unquoted ASCII
// letters to lower case as PostgreSQL's parser does. False when there is no such dot.
bool ParseEntry(const std::string& entry, PatternPart* schema, PatternPart* table) {
  PatternPart* part = schema;
  bool quoted = false;
  for (size_t i = 0; i < entry.size(); ++i) {
    const auto ch = static_cast<unsigned char>(entry[i]);
    if (ch == '"') {
      if (quoted && i + 1 < entry.size() && entry[i + 1] == '"') {
        part->push_back('"');
        ++i;
      } else {
        quoted = !quoted;
      }
    } else if (quoted) {
      part->push_back(ch);
    } else if (ch == '.' && part == schema) {
      part = table;
    } else if (ch == '*') {
      part->push_back(kAnyRun);
    } else {
      part->push_back(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
    }
  }
  return part == table;
}

}  // namespace

bool IncludedBy(const std::vector<std::string>& include_patterns, const std::string& schema,
                const std::string& table) {
  if (include_patterns.empty()) return true;
  for (const auto& entry : include_patterns) {
    PatternPart s, t;
    if (ParseEntry(entry, &s, &t) && PartMatch(s, schema) && PartMatch(t, table)) return true;
  }
  return false;
}

bool IncludedBy(const std::vector<std::string>& include_patterns, const std::string& name) {
  if (include_patterns.empty()) return true;
  for (size_t dot = name.find('.'); dot != std::string::npos; dot = name.find('.', dot + 1)) {
    if (IncludedBy(include_patterns, name.substr(0, dot), name.substr(dot + 1))) return true;
  }
  return false;
}

bool CaptureRules::Captured(const std::string& name) const {
  return IncludedBy(options_.include_patterns, name);
}

bool CaptureRules::Captured(const std::string& schema, const std::string& table) const {
  return IncludedBy(options_.include_patterns, schema, table);
}

CaptureOptions CaptureOptionsFor(const config::Config& cfg) {
  return CaptureOptions{cfg.source.tables, cfg.source.column_exclude_list,
                        cfg.format.message_key_columns, cfg.name, cfg.topics};
}

namespace {

std::string QuotedIdent(const std::string& name) {
  bool plain = !name.empty() && !(name[0] >= '0' && name[0] <= '9');
  for (char ch : name) {
    plain = plain && ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_');
  }
  if (plain) return name;
  std::string out = "\"";
  for (char ch : name) out += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return out + "\"";
}

}  // namespace

std::string QuotedName(const std::string& schema, const std::string& table) {
  return QuotedIdent(schema) + "." + QuotedIdent(table);
}

std::string TopicCollision(const std::string& topic, const std::string& first,
                           const std::string& second) {
  return "tables " + first + " and " + second + " would both publish to topic " + topic +
         " (names are sanitised for topics); give one of them its own topic under topics: in "
         "the config";
}

std::string CaptureRules::Topic(const std::string& schema, const std::string& table) const {
  for (const auto& [entry, topic] : options_.topic_overrides) {
    if (IncludedBy({entry}, schema, table)) return topic;
  }
  return TableTopic(options_.topic_prefix, schema, table);
}

std::string CaptureRules::FindCollision(
    const std::vector<std::pair<std::string, std::string>>& tables) const {
  std::map<std::string, std::string> owner;  // topic -> the first table's quoted name
  for (const auto& [schema, table] : tables) {
    const std::string topic = Topic(schema, table);
    auto [it, fresh] = owner.emplace(topic, QuotedName(schema, table));
    if (!fresh) return TopicCollision(topic, it->second, QuotedName(schema, table));
  }
  return "";
}

void CaptureRules::Apply(const pgoutput::Relation& rel, CatalogHints* hints) const {
  hints->topic = Topic(rel.nspname, rel.relname);
  const std::string name = rel.nspname + "." + rel.relname;
  for (const auto& col : rel.columns) {
    for (const auto& pattern : options_.column_exclude) {
      if (GlobMatch(pattern, name + "." + col.name)) hints->excluded_columns.insert(col.name);
    }
  }
  for (const auto& [pattern, columns] : options_.message_key_columns) {
    if (GlobMatch(pattern, name)) {
      hints->key_override = columns;
      break;
    }
  }
}

}  // namespace cdc::connector
