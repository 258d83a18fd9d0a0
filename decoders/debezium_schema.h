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
// The envelope's `transaction` field (event.block).
extern const char kTransactionBlockSchemaJson[];
// Transaction metadata records (io.debezium.connector.common.TransactionMetadataKey/Value).
extern const char kTransactionKeySchemaJson[];
extern const char kTransactionValueSchemaJson[];
// Heartbeat records (io.debezium.connector.common.ServerNameKey/Heartbeat).
extern const char kHeartbeatKeySchemaJson[];
extern const char kHeartbeatValueSchemaJson[];
// Logical decoding message records (io.debezium.connector.postgresql.MessageKey/MessageValue);
// the content field is bytes or string depending on binary handling.
extern const char kMessageKeySchemaJson[];
std::string BuildMessageValueSchemaJson(bool content_as_bytes);

}  // namespace cdc
