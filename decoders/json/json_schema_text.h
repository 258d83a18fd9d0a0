#pragma once

// The JSON Schema that Confluent's JsonSchemaConverter registers for a Kafka Connect schema
// (values/connect_schema.h): JsonSchemaData.fromConnectSchema with its default configuration
// (decimal.format BASE64, object.additional.properties true), printed as the registry stores it
// (avro-schema-registry.md §10). The rules:
// * int8..int64 are {"type":"integer"}, float32/float64 {"type":"number"}, each with
//   "connect.type"; bytes (decimals too) {"type":"string","connect.type":"bytes"}; a struct is an
//   object with "properties"; a string-keyed map an object with "additionalProperties" and
//   "connect.type":"map"; an array has "items".
// * A name is the "title", a version "connect.version", parameters "connect.parameters", a doc
//   the "description", a default the "default" (the value as the JSON format writes it).
// * An optional schema is {"oneOf":[{"type":"null"}, <the schema>]}; a struct's fields carry
//   their position as "connect.index", on the oneOf when the field is optional.
// * Key order is everit's printer's (type first but for booleans; then title, description,
//   default; then the other keys), and the "properties", "connect.*" and "connect.parameters"
//   objects are in the iteration order of the Java HashMaps that hold them (String.hashCode
//   buckets, as a Java 19+ runtime sizes them), so the text is the one a Connect worker on a
//   current JVM registers and the registry dedupes it to the same id. On a Java 17 worker one map
//   size (3 keys) is bucketed differently; the schemas then differ in key order only, which the
//   registry stores as a new version of equal content.
//
// Pure functions, thread-compatible. Built once per relation version, never per record.

#include <string>

#include "decoders/values/connect_schema.h"

namespace cdc {

// The schema text (compact JSON, as the registry's canonical form prints it).
std::string JsonSchemaText(const ConnectSchema& schema);

}  // namespace cdc
