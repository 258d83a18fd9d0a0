#pragma once

// Serializes the Kafka Connect schemas that JsonConverter puts beside each payload when
// schemas.enable=true: the table's Key struct and Envelope struct, in JsonConverter's member
// order (type, fields, optional, name, version, doc, parameters, field). Called once per relation
// version by RelationCache.

#include <string>

#include "decoders/event_options.h"

namespace cdc {

struct TableSchema;

std::string BuildKeySchemaJson(const TableSchema& table, const EventOptions& options);
std::string BuildEnvelopeSchemaJson(const TableSchema& table, const EventOptions& options);

// The source block schema (io.debezium.connector.postgresql.Source), shared by all tables.
extern const char kSourceSchemaJson[];

}  // namespace cdc
