#include "connector/relation_registry.h"

namespace cdc::connector {

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
