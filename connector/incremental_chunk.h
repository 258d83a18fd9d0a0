#pragma once

// The SQL side of an incremental snapshot (README "Incremental snapshots"): which columns and key
// a table is read with, its largest key, and one chunk read by keyset pagination in primary key
// order, `(k1,...,kn) > cursor AND (k1,...,kn) <= max_key [AND filters] ORDER BY k1,...,kn LIMIT
// n`, in a REPEATABLE READ transaction that also records its snapshot (pg_current_snapshot) for
// the visibility check (incremental_snapshot.h).
//
// The columns are those pgoutput announces (no dropped or generated ones, the PG15 column list)
// and the publication's row filter applies, as for the initial snapshot (snapshot_plan.cc reads
// the same catalog; a shared helper would be the next step).
//
// Plain functions on a borrowed connection; the replication thread calls them.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "connector/incremental_state.h"
#include "connector/pg_connection.h"
#include "connector/relation_registry.h"
#include "decoders/base/lsn.h"

namespace cdc::connector {

using KeyValues = std::vector<std::optional<std::string>>;

struct ChunkTable {
  std::string name;                     // schema.table
  std::string from;                     // "schema"."table"
  std::string columns;                  // quoted, in Relation order
  size_t column_count = 0;              // of `columns`; the key columns follow them in a chunk
  std::vector<std::string> key_exprs;   // quoted key columns
  std::vector<std::string> key_types;   // format_type of each, for the cursor's casts
  std::string where;                    // row filter and additional condition, or empty
  const TableSchema* schema = nullptr;  // owned by the caller's RelationRegistry
};

// Looks `table` up in `publication` and describes it. FailedPrecondition, naming the table, when
// it is not published, or has no primary key (nor replica identity index) and no surrogate key,
// or its events would have a null key (nothing to de-duplicate by).
Result<ChunkTable> DescribeChunkTable(PGconn* conn, const std::string& publication,
                                      const IncrementalTable& table, RelationRegistry* registry);

// The largest key under the filters; nullopt for a table with no such row.
Result<std::optional<KeyValues>> ReadMaxKey(PGconn* conn, const ChunkTable& t);

// What a chunk's transaction saw: its snapshot (xid8 values) and the WAL insert position.
struct ChunkSnapshot {
  uint64_t xmin = 0;
  uint64_t xmax = 0;
  std::vector<uint64_t> xip;
  Lsn wal_lsn;
  // Whether the transaction with 32-bit xid `xid` (as pgoutput sends it) is visible to it.
  bool Sees(uint32_t xid) const;
};

struct ChunkRows {
  ChunkSnapshot snapshot;
  PgResultPtr result;  // the rows: table columns, then key columns (text)
  int rows() const { return result ? PQntuples(result.get()) : 0; }
  KeyValues Key(int row, const ChunkTable& t) const;
};

// Reads up to `limit` rows after `cursor` (none: from the first) up to `max_key`.
Result<ChunkRows> ReadChunk(PGconn* conn, const ChunkTable& t,
                            const std::optional<KeyValues>& cursor, const KeyValues& max_key,
                            int limit);

}  // namespace cdc::connector
