#include "decoders/wire/pgoutput_decoder.h"

#include <string>

#include "decoders/base/byte_reader.h"

namespace cdc::pgoutput {

namespace {

Status Truncated(const char* what) {
  return Status::Corruption(std::string(what) + " message is truncated");
}

// A TupleData: Int16 column count, then per column a kind byte and, for 't'/'b', Int32 length
// and that many bytes.
bool ReadTuple(ByteReader& r, Tuple* out) {
  int16_t n;
  if (!r.ReadI16(&n) || n < 0) return false;
  out->clear();
  out->reserve(static_cast<size_t>(n));
  for (int16_t i = 0; i < n; ++i) {
    uint8_t kind;
    if (!r.ReadU8(&kind)) return false;
    TupleValue v;
    switch (kind) {
      case 'n': v.kind = ValueKind::kNull; break;
      case 'u': v.kind = ValueKind::kUnchanged; break;
      case 't':
      case 'b': {
        v.kind = kind == 't' ? ValueKind::kText : ValueKind::kBinary;
        int32_t len;
        if (!r.ReadI32(&len) || len < 0) return false;
        if (!r.ReadBytes(static_cast<size_t>(len), &v.data)) return false;
        break;
      }
      default: return false;
    }
    out->push_back(v);
  }
  return true;
}

bool ReadString(ByteReader& r, std::string* out) {
  std::string_view v;
  if (!r.ReadCString(&v)) return false;
  out->assign(v);
  return true;
}

Result<Message> DecodeBegin(ByteReader& r) {
  Begin b;
  uint64_t lsn;
  if (!r.ReadU64(&lsn) || !r.ReadI64(&b.commit_ts) || !r.ReadU32(&b.xid.value)) {
    return Truncated("Begin");
  }
  b.final_lsn = Lsn(lsn);
  return Message(b);
}

Result<Message> DecodeCommit(ByteReader& r) {
  Commit c;
  uint64_t commit_lsn, end_lsn;
  if (!r.ReadU8(&c.flags) || !r.ReadU64(&commit_lsn) || !r.ReadU64(&end_lsn) ||
      !r.ReadI64(&c.commit_ts)) {
    return Truncated("Commit");
  }
  c.commit_lsn = Lsn(commit_lsn);
  c.end_lsn = Lsn(end_lsn);
  return Message(c);
}

Result<Message> DecodeOrigin(ByteReader& r) {
  Origin o;
  uint64_t lsn;
  if (!r.ReadU64(&lsn) || !ReadString(r, &o.name)) return Truncated("Origin");
  o.origin_lsn = Lsn(lsn);
  return Message(std::move(o));
}

Result<Message> DecodeRelation(ByteReader& r) {
  Relation rel;
  uint8_t ident;
  int16_t ncols;
  if (!r.ReadU32(&rel.oid) || !ReadString(r, &rel.nspname) || !ReadString(r, &rel.relname) ||
      !r.ReadU8(&ident) || !r.ReadI16(&ncols)) {
    return Truncated("Relation");
  }
  if (ncols < 0) return Status::Corruption("Relation has a negative column count");
  if (rel.nspname.empty()) rel.nspname = "pg_catalog";
  switch (ident) {
    case 'd':
    case 'n':
    case 'f':
    case 'i': rel.replica_identity = static_cast<char>(ident); break;
    default:
      return Status::Corruption("Relation has unknown replica identity " + std::to_string(ident));
  }
  rel.columns.resize(static_cast<size_t>(ncols));
  for (auto& col : rel.columns) {
    if (!r.ReadU8(&col.flags) || !ReadString(r, &col.name) || !r.ReadU32(&col.type_oid) ||
        !r.ReadI32(&col.typmod)) {
      return Truncated("Relation");
    }
  }
  return Message(std::move(rel));
}

Result<Message> DecodeType(ByteReader& r) {
  Type t;
  if (!r.ReadU32(&t.oid) || !ReadString(r, &t.nspname) || !ReadString(r, &t.typname)) {
    return Truncated("Type");
  }
  if (t.nspname.empty()) t.nspname = "pg_catalog";
  return Message(std::move(t));
}

Result<Message> DecodeInsert(ByteReader& r) {
  Insert ins;
  uint8_t marker;
  if (!r.ReadU32(&ins.relation_oid) || !r.ReadU8(&marker)) return Truncated("Insert");
  if (marker != 'N') return Status::Corruption("Insert: expected 'N' tuple marker");
  if (!ReadTuple(r, &ins.new_tuple)) return Status::Corruption("Insert: malformed tuple data");
  return Message(std::move(ins));
}

Result<Message> DecodeUpdate(ByteReader& r) {
  Update up;
  uint8_t marker;
  if (!r.ReadU32(&up.relation_oid) || !r.ReadU8(&marker)) return Truncated("Update");
  if (marker == 'K' || marker == 'O') {
    up.old_kind = static_cast<char>(marker);
    if (!ReadTuple(r, &up.old_tuple)) return Status::Corruption("Update: malformed old tuple");
    if (!r.ReadU8(&marker)) return Truncated("Update");
  }
  if (marker != 'N') return Status::Corruption("Update: expected 'N' tuple marker");
  if (!ReadTuple(r, &up.new_tuple)) return Status::Corruption("Update: malformed new tuple");
  if (up.old_kind != 0 && up.old_tuple.size() != up.new_tuple.size()) {
    return Status::Corruption("Update: old and new tuples differ in column count");
  }
  return Message(std::move(up));
}

Result<Message> DecodeDelete(ByteReader& r) {
  Delete del;
  uint8_t marker;
  if (!r.ReadU32(&del.relation_oid) || !r.ReadU8(&marker)) return Truncated("Delete");
  if (marker != 'K' && marker != 'O') {
    return Status::Corruption("Delete: expected 'K' or 'O' tuple marker");
  }
  del.old_kind = static_cast<char>(marker);
  if (!ReadTuple(r, &del.old_tuple)) return Status::Corruption("Delete: malformed tuple data");
  return Message(std::move(del));
}

Result<Message> DecodeTruncate(ByteReader& r) {
  Truncate t;
  int32_t n;
  if (!r.ReadI32(&n) || !r.ReadU8(&t.options)) return Truncated("Truncate");
  // Each OID takes 4 bytes; checking against what is left bounds the allocation.
  if (n < 0 || static_cast<size_t>(n) > r.remaining() / 4) return Truncated("Truncate");
  t.relation_oids.resize(static_cast<size_t>(n));
  for (auto& oid : t.relation_oids) {
    if (!r.ReadU32(&oid)) return Truncated("Truncate");
  }
  return Message(std::move(t));
}

Result<Message> DecodeLogicalMessage(ByteReader& r) {
  LogicalMessage m;
  uint8_t flags;
  uint64_t lsn;
  int32_t len;
  if (!r.ReadU8(&flags) || !r.ReadU64(&lsn) || !r.ReadCString(&m.prefix) || !r.ReadI32(&len) ||
      len < 0 || !r.ReadBytes(static_cast<size_t>(len), &m.content)) {
    return Truncated("Message");
  }
  m.transactional = (flags & 1) != 0;
  m.lsn = Lsn(lsn);
  return Message(m);
}

}  // namespace

Result<Message> Decode(std::span<const uint8_t> payload) {
  ByteReader r(payload);
  uint8_t type;
  if (!r.ReadU8(&type)) return Status::Corruption("empty pgoutput message");
  Result<Message> msg = Status::Corruption("unset");
  switch (type) {
    case 'B': msg = DecodeBegin(r); break;
    case 'C': msg = DecodeCommit(r); break;
    case 'O': msg = DecodeOrigin(r); break;
    case 'R': msg = DecodeRelation(r); break;
    case 'Y': msg = DecodeType(r); break;
    case 'I': msg = DecodeInsert(r); break;
    case 'U': msg = DecodeUpdate(r); break;
    case 'D': msg = DecodeDelete(r); break;
    case 'T': msg = DecodeTruncate(r); break;
    case 'M': msg = DecodeLogicalMessage(r); break;
    case 'S':
    case 'E':
    case 'c':
    case 'A':
    case 'b':
    case 'P':
    case 'K':
    case 'r':
    case 'p':
      return Status::Corruption(std::string("pgoutput message '") + static_cast<char>(type) +
                                "' (streaming/two-phase) was not requested");
    default:
      return Status::Corruption("unknown pgoutput message type 0x" +
                                std::to_string(static_cast<int>(type)));
  }
  if (!msg.ok()) return msg;
  if (!r.empty()) {
    return Status::Corruption(std::string("pgoutput '") + static_cast<char>(type) +
                              "' message has " + std::to_string(r.remaining()) + " trailing bytes");
  }
  return msg;
}

}  // namespace cdc::pgoutput
