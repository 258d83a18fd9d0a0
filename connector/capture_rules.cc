#include "connector/capture_rules.h"

#include "connector/topic_names.h"

namespace cdc::connector {

bool GlobMatch(const std::string& pattern, const std::string& text) {
  size_t p = 0, t = 0, star = std::string::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool IncludedBy(const std::vector<std::string>& include_patterns, const std::string& name) {
  if (include_patterns.empty()) return true;
  for (const auto& p : include_patterns) {
    if (GlobMatch(p, name)) return true;
  }
  return false;
}

bool CaptureRules::Captured(const std::string& name) const {
  return IncludedBy(options_.include_patterns, name);
}

void CaptureRules::Apply(const pgoutput::Relation& rel, CatalogHints* hints) const {
  hints->topic = TableTopic(options_.topic_prefix, rel.nspname, rel.relname);
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
