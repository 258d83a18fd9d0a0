#pragma once

// The Schema Registry subjects a configuration writes to (format avro): for `validate`, which
// checks their compatibility, and `status`, which shows each subject's latest version and id.
// The names follow the encoders' rule (SubjectFor over the table's topic and record names), so
// what these commands show is what `run` registers. Called on the command's thread.

#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "config/config.h"
#include "connector/publication_reconciler.h"
#include "connector/schema_registry_client.h"

namespace cdc::connector {

struct TableSubjects {
  TableName table;
  std::string key;    // the key schema's subject
  std::string value;  // the envelope's subject
};

std::vector<TableSubjects> SubjectsOf(const config::Config& cfg, const std::set<TableName>& tables);

// `status`: one line per subject, "subject S: version V, id I" or "not registered yet". Returns
// false, after a line saying why, when the registry could not be read.
bool PrintSubjects(const config::Config& cfg, const std::set<TableName>& tables, std::ostream& out);

}  // namespace cdc::connector
