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

Status RelationRegistry::ClaimTopic(const pgoutput::Relation& rel, const std::string& topic) {
  const std::string name = QuotedName(rel.nspname, rel.relname);
  auto owner = topic_owner_.find(topic);
  if (owner != topic_owner_.end() && owner->second.first != rel.oid &&
      owner->second.second != name) {
    return Status::FailedPrecondition(TopicCollision(topic, owner->second.second, name));
  }
  if (auto old = topic_of_.find(rel.oid); old != topic_of_.end() && old->second != topic) {
    topic_owner_.erase(old->second);
  }
  topic_owner_[topic] = {rel.oid, name};
  topic_of_[rel.oid] = topic;
  return Status::Ok();
}

Result<const TableSchema*> RelationRegistry::Update(pgoutput::Relation rel, bool captured,
                                                    CatalogHints* hints_out) {
  CatalogHints hints;
  if (captured) {
    hints = catalog_->Lookup(rel.oid);
    rules_->Apply(rel, &hints);
    CDC_RETURN_IF_ERROR(ClaimTopic(rel, hints.topic));
  }
  auto updated = cache_.Update(std::move(rel), hints, captured);
  if (hints_out != nullptr) *hints_out = std::move(hints);
  return updated;
}

}  // namespace cdc::connector
