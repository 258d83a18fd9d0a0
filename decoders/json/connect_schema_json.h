#pragma once

// A Connect schema tree (values/connect_schema.h) printed as Kafka Connect's JsonConverter
// prints it beside each payload when schemas.enable=true, member for member in its order:
// type, fields | items | keys + values, optional, name, version, doc, parameters, default,
// field. Pure functions, thread-compatible.

#include <string>
#include <string_view>

#include "decoders/values/connect_schema.h"
#include "decoders/values/json_writer.h"

namespace cdc {

// Appends `schema` as one JSON object; `field` (when not empty) is its "field" member, as a
// struct's fields carry their names.
void AppendConnectSchema(const ConnectSchema& schema, JsonWriter& w, std::string_view field = {});

// The schema as a JSON text.
std::string ConnectSchemaJson(const ConnectSchema& schema);

}  // namespace cdc
