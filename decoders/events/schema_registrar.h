#pragma once

// SchemaRegistrar: how an encoder that writes Confluent's wire format (magic byte 0, a 4-byte
// big-endian schema id, the payload) gets the id of a schema. The connector implements it over a
// Schema Registry's REST API (network code stays out of decoders/); unit tests implement it in
// memory.
//
// Thread-safe: every encoder thread (the stream's, each snapshot worker's) calls it. Encoders
// call it once per subject and relation version, before the first record of that version, and
// cache the id: the steady state never calls it.

#include <cstdint>
#include <string>
#include <string_view>

#include "decoders/base/status.h"
#include "decoders/events/event_options.h"

namespace cdc {

// The registry's schemaType of a schema text.
enum class SchemaType { kAvro, kJson, kProtobuf };

class SchemaRegistrar {
 public:
  virtual ~SchemaRegistrar() = default;

  // Sets *id to the registry's id of `schema` (the canonical text the encoder built) under
  // `subject`: registered when the configuration allows it, looked up otherwise. Blocks while the
  // registry is unreachable or answers 5xx (retrying with backoff until it answers or the
  // connector stops). A non-OK status means the schema cannot be used (incompatible, invalid,
  // not registered with auto-registration off, bad credentials, or the connector is stopping);
  // its message names the subject and the registry's reason, and the caller stops processing
  // before the record, so the LSN stays before it.
  virtual Status IdFor(std::string_view subject, SchemaType type, std::string_view schema,
                       int32_t* id) = 0;
};

// Confluent's wire-format header, which every registry format starts with: magic byte 0, then
// the schema id, big-endian.
inline void WriteFrameHeader(std::string* out, int32_t id) {
  const auto u = static_cast<uint32_t>(id);
  out->push_back('\0');
  for (int shift = 24; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((u >> shift) & 0xFF));
  }
}

// The subject a record's key (`key`) or value schema goes under, for a record named `full_name`
// (the Connect schema's name, e.g. "pg.public.orders.Envelope") on `topic`.
inline std::string SubjectFor(SubjectStrategy strategy, std::string_view topic,
                              std::string_view full_name, bool key) {
  switch (strategy) {
    case SubjectStrategy::kTopic: return std::string(topic) + (key ? "-key" : "-value");
    case SubjectStrategy::kRecord: return std::string(full_name);
    case SubjectStrategy::kTopicRecord: return std::string(topic) + "-" + std::string(full_name);
  }
  return std::string(topic) + (key ? "-key" : "-value");
}

}  // namespace cdc
