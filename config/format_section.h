#pragma once

// The parser of format.type's companions: format.schema_registry (the Confluent Schema Registry
// of the avro format) and the rules tying the format's keys together (format.schemas belongs to
// json alone). Throws ConfigError with one line naming the key; the registry password is
// registered with redact.h. Start-up only.

#include <yaml-cpp/yaml.h>

#include "config/config.h"

namespace cdc::config {

// format.schema_registry (`node` may be absent). `type` is the format.type already read:
// avro requires the section, json refuses it. `schemas_set`: the YAML set format.schemas.
void ParseSchemaRegistry(const YAML::Node& node, FormatType type, bool schemas_set,
                         SchemaRegistryConfig* r);

}  // namespace cdc::config
