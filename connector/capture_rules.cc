#include "connector/capture_rules.h"

#include "config/config_loader.h"

namespace cdc::connector {

bool CaptureRules::Captured(const std::string& name) const {
  if (options_.include_patterns.empty()) return true;
  for (const auto& p : options_.include_patterns) {
    if (config::GlobMatch(p, name)) return true;
  }
  return false;
}

void CaptureRules::Apply(const pgoutput::Relation& rel, CatalogHints* hints) const {
  const std::string name = rel.nspname + "." + rel.relname;
  for (const auto& col : rel.columns) {
    for (const auto& pattern : options_.column_exclude) {
      if (config::GlobMatch(pattern, name + "." + col.name)) hints->excluded_columns.insert(col.name);
    }
  }
  for (const auto& [pattern, columns] : options_.message_key_columns) {
    if (config::GlobMatch(pattern, name)) {
      hints->key_override = columns;
      break;
    }
  }
}

}  // namespace cdc::connector
