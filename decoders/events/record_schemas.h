#pragma once

// The Connect schemas of Debezium's PostgreSQL records, format-neutral (values/connect_schema.h):
// a table's Key and Envelope structs, the source block, the transaction block, and the
// transaction metadata, heartbeat and logical-message records. Every encoder spells these trees
// in its format; none keeps a schema of its own. Built once per relation version (tables) or
// once per encoder (the fixed records). debezium-format.md §1-2 is the specification.

#include "decoders/events/event_options.h"
#include "decoders/values/connect_schema.h"

namespace cdc {

struct TableSchema;

// <topic>.Key: the key columns, required.
ConnectSchema KeySchemaOf(const TableSchema& table);
// <topic>.Envelope (version 2): before/after (<topic>.Value, the included columns), source,
// transaction, op, ts_ms, ts_us, ts_ns.
ConnectSchema EnvelopeSchemaOf(const TableSchema& table);

// io.debezium.connector.postgresql.Source, shared by all tables.
ConnectSchema SourceSchema();
// The envelope's `transaction` field (event.block), optional.
ConnectSchema TransactionBlockSchema();
// Transaction metadata records (io.debezium.connector.common.TransactionMetadataKey/Value).
ConnectSchema TransactionKeySchema();
ConnectSchema TransactionValueSchema();
// Heartbeat records (io.debezium.connector.common.ServerNameKey/Heartbeat).
ConnectSchema HeartbeatKeySchema();
ConnectSchema HeartbeatValueSchema();
// Logical decoding message records (io.debezium.connector.postgresql.MessageKey/MessageValue);
// the content is bytes, or a string when binary handling renders bytes as text.
ConnectSchema MessageKeySchema();
ConnectSchema MessageValueSchema(bool content_as_bytes);

}  // namespace cdc
