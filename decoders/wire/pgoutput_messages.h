#pragma once

// The pgoutput logical replication messages, as decoded from one XLogData payload.
// https://www.postgresql.org/docs/current/protocol-logicalrep-message-formats.html
// See ../shared/reference/pgoutput.md §3 for the byte layouts and their pitfalls.
//
// Lifetime: string_views in TupleValue and LogicalMessage point into the payload buffer the
// message was decoded from; they are valid only while that buffer lives. Relation and Type own
// their strings because they are cached beyond the buffer.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "decoders/base/lsn.h"

namespace cdc::pgoutput {

struct Begin {
  Lsn final_lsn;          // LSN of the commit record (== Commit.commit_lsn)
  int64_t commit_ts = 0;  // PG epoch micros
  Xid xid;
};

struct Commit {
  uint8_t flags = 0;
  Lsn commit_lsn;  // start of the commit record
  Lsn end_lsn;     // just past the commit record: the LSN to confirm
  int64_t commit_ts = 0;
};

struct Origin {
  Lsn origin_lsn;
  std::string name;
};

struct Column {
  uint8_t flags = 0;  // bit 0: part of the replica identity key
  std::string name;
  uint32_t type_oid = 0;
  int32_t typmod = -1;
  bool is_key() const { return (flags & 1) != 0; }
};

struct Relation {
  uint32_t oid = 0;
  std::string nspname;  // "pg_catalog" when the wire sends ""
  std::string relname;
  char replica_identity = 'd';  // 'd' default, 'n' nothing, 'f' full, 'i' index
  std::vector<Column> columns;
};

struct Type {
  uint32_t oid = 0;
  std::string nspname;
  std::string typname;
};

enum class ValueKind : char {
  kNull = 'n',       // SQL NULL; in a 'K' tuple also "not sent" for non-key columns
  kUnchanged = 'u',  // unchanged TOASTed value: not sent
  kText = 't',
  kBinary = 'b',
};

struct TupleValue {
  ValueKind kind = ValueKind::kNull;
  std::string_view data;  // for kText/kBinary
};

using Tuple = std::vector<TupleValue>;

struct Insert {
  uint32_t relation_oid = 0;
  Tuple new_tuple;
};

struct Update {
  uint32_t relation_oid = 0;
  char old_kind = 0;  // 'K' (old key), 'O' (old row, REPLICA IDENTITY FULL) or 0 (none sent)
  Tuple old_tuple;
  Tuple new_tuple;
};

struct Delete {
  uint32_t relation_oid = 0;
  char old_kind = 'K';  // 'K' or 'O'
  Tuple old_tuple;
};

struct Truncate {
  uint8_t options = 0;  // 1 = CASCADE, 2 = RESTART IDENTITY
  std::vector<uint32_t> relation_oids;
};

struct LogicalMessage {
  bool transactional = false;
  Lsn lsn;
  std::string_view prefix;
  std::string_view content;
};

using Message = std::variant<Begin, Commit, Origin, Relation, Type, Insert, Update, Delete,
                             Truncate, LogicalMessage>;

}  // namespace cdc::pgoutput
