#include "connector/registry_subjects.h"

#include <nlohmann/json.hpp>

#include "config/redact.h"
#include "connector/capture_rules.h"
#include "connector/options.h"
#include "decoders/events/schema_registrar.h"

namespace cdc::connector {

std::vector<TableSubjects> SubjectsOf(const config::Config& cfg,
                                      const std::set<TableName>& tables) {
  const CaptureRules rules(CaptureOptionsFor(cfg));
  const SubjectStrategy strategy = EventOptionsFrom(cfg, "").subject_strategy;
  std::vector<TableSubjects> out;
  for (const auto& t : tables) {
    // The record names are the Connect schema names: <topic>.Key and <topic>.Envelope.
    const std::string topic = rules.Topic(t.schema, t.table);
    out.push_back({t, SubjectFor(strategy, topic, topic + ".Key", true),
                   SubjectFor(strategy, topic, topic + ".Envelope", false)});
  }
  return out;
}

bool PrintSubjects(const config::Config& cfg, const std::set<TableName>& tables,
                   std::ostream& out) {
  SchemaRegistryClient client(cfg.format.schema_registry, StopSignal::Process(), nullptr);
  out << "schema registry " << cfg.format.schema_registry.urls.front() << ":\n";
  for (const auto& s : SubjectsOf(cfg, tables)) {
    for (const std::string* subject : {&s.key, &s.value}) {
      RegistryReply latest = client.Call(SubjectPath(*subject) + "/versions/latest", "");
      out << "  subject " << *subject << ": ";
      if (latest.outcome != RegistryReply::Outcome::kOk) {
        if (latest.error_code == 40401 || latest.error_code == 40402) {
          out << "not registered yet\n";
          continue;
        }
        out << "UNREADABLE (" << config::Redact(latest.error) << ")\n";
        return false;
      }
      const auto body = nlohmann::json::parse(latest.body, nullptr, false);
      if (body.is_discarded() || !body.is_object() || !body.contains("version") ||
          !body.contains("id")) {
        out << "UNREADABLE (the registry's answer has no version and id)\n";
        return false;
      }
      out << "version " << body["version"].dump() << ", id " << body["id"].dump() << "\n";
    }
  }
  return true;
}

}  // namespace cdc::connector
