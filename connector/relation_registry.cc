#include "connector/relation_registry.h"

#include <spdlog/spdlog.h>

namespace cdc::connector {

bool RelationRegistry::Captured(const std::string& qualified_name) const {
  if (rules_->Captured(qualified_name)) return true;
  auto ancestors = catalog_->PartitionAncestors(qualified_name);
  if (!ancestors.ok()) {
    // Not silent: the operator sees which relation may be missing and why.
    spdlog::warn("{}: its changes are not captured unless the include list names it",
                 ancestors.status().message());
    return false;
  }
  for (const auto& [schema, table] : *ancestors) {
    if (rules_->Captured(schema, table)) return true;
  }
  return false;
}

Result<const TableSchema*> RelationRegistry::Update(pgoutput::Relation rel, bool captured,
                                                    CatalogHints* hints_out) {
  CatalogHints hints;
  if (captured) {
    hints = catalog_->Lookup(rel.oid);
    rules_->Apply(rel, &hints);
  }
  auto updated = cache_.Update(std::move(rel), hints, captured);
  if (hints_out != nullptr) *hints_out = std::move(hints);
  return updated;
}

}  // namespace cdc::connector
