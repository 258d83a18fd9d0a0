#pragma once

// The Connect schemas of Debezium's records (events/record_schemas.h) as JsonConverter prints
// them when schemas.enable=true. The table schemas are printed once per relation version by
// JsonEncoder, which caches them; the fixed ones once per process.

#include <string>

namespace cdc {

struct TableSchema;

std::string BuildKeySchemaJson(const TableSchema& table);
std::string BuildEnvelopeSchemaJson(const TableSchema& table);

// Transaction metadata, heartbeat and logical-message records (valid for the process's life).
const std::string& TransactionKeySchemaJson();
const std::string& TransactionValueSchemaJson();
const std::string& HeartbeatKeySchemaJson();
const std::string& HeartbeatValueSchemaJson();
const std::string& MessageKeySchemaJson();
std::string BuildMessageValueSchemaJson(bool content_as_bytes);

}  // namespace cdc
