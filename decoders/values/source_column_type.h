#pragma once

// What Debezium's PostgreSQL connector knows of a column's source type when it propagates it
// (column.propagate.source.type / datatype.propagate.source.type): the type's name and the
// length and scale PgJDBC's TypeInfoCache derives from the type modifier. pgcdc follows the
// streaming path (PgOutputMessageDecoder's ColumnMetaData, from a Relation message's type OID and
// typmod), which is also what every pgcdc snapshot uses; Debezium's snapshot reads
// DatabaseMetaData.getColumns instead (README "Source types").
//
// Pure functions; thread-compatible.

#include <cstdint>
#include <string>

#include "decoders/values/column_codec.h"

namespace cdc {

struct SourceColumnType {
  std::string name;  // pg_type.typname as PostgreSQL spells it ("varchar", "_int4", "float83")
  int length = 0;    // PgJDBC's precision (2147483647, its unknownLength, when unbounded)
  int scale = 0;
};

// The source type of a column of type `type_oid` with modifier `typmod` (-1: none). The name and,
// for domains, the base type and its modifier come from `lookup` (the catalog's pg_type rows);
// an empty name means the type is unknown (the catalog could not be read).
SourceColumnType SourceColumnTypeOf(uint32_t type_oid, int32_t typmod, const TypeLookup& lookup);

// PgJDBC 42.7.11's TypeInfoCache.getPrecision / getScale / getDisplaySize, which Debezium 3.6.1
// calls with the column's OID: arrays count as their elements (`element`: 0 for others).
int PgjdbcPrecision(uint32_t oid, int32_t typmod, uint32_t element = 0);
int PgjdbcScale(uint32_t oid, int32_t typmod, uint32_t element = 0);
int PgjdbcDisplaySize(uint32_t oid, int32_t typmod, uint32_t element = 0);

}  // namespace cdc
