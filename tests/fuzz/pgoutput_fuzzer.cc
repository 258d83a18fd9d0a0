// libFuzzer target for everything pgcdc parses from the network:
//   mode 0: a replication CopyData frame ('w'/'k'), its pgoutput payload, and for row messages
//           the whole event path (relation cache, value converters, event builder);
//   mode 1: one value through the converter of a chosen type, as text (the PostgreSQL text
//           parsers) and as the type's binary send format (pg_binary's decoders).
// Any crash, sanitizer report or leak is a bug; errors returned as Status are fine.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "decoders/events/event_builder.h"
#include "decoders/events/relation_cache.h"
#include "decoders/json/json_encoder.h"
#include "decoders/values/binary_json.h"
#include "decoders/values/pg_binary.h"
#include "decoders/values/pg_type_oids.h"
#include "decoders/values/value_json.h"
#include "decoders/wire/pgoutput_decoder.h"
#include "decoders/wire/replication_frame.h"

namespace {

using namespace cdc;  // NOLINT(google-build-using-namespace): a test driver

class Discard : public EventEmitter {
 public:
  Status Emit(const ChangeEvent&) override { return Status::Ok(); }
};

int64_t FixedClock() { return 1700000000000000; }

const uint32_t kTypes[] = {pgtype::kBool,
                           pgtype::kInt2,
                           pgtype::kInt4,
                           pgtype::kInt8,
                           pgtype::kFloat8,
                           pgtype::kNumeric,
                           pgtype::kMoney,
                           pgtype::kText,
                           pgtype::kBytea,
                           pgtype::kDate,
                           pgtype::kTime,
                           pgtype::kTimetz,
                           pgtype::kTimestamp,
                           pgtype::kTimestamptz,
                           pgtype::kInterval,
                           pgtype::kBit,
                           pgtype::kVarbit,
                           pgtype::kPoint,
                           pgtype::kBox,
                           pgtype::kPath,
                           pgtype::kCircle,
                           pgtype::kLine,
                           1007 /* int4[] */,
                           1009 /* text[] */,
                           1185 /* timestamptz[] */,
                           1231 /* numeric[] */,
                           17000 /* hstore */};

// A relation whose columns cover the converters, so decoded tuples reach them.
pgoutput::Relation FuzzRelation(uint32_t oid) {
  pgoutput::Relation rel;
  rel.oid = oid;
  rel.nspname = "public";
  rel.relname = "fuzz";
  for (size_t i = 0; i < sizeof(kTypes) / sizeof(kTypes[0]); ++i) {
    rel.columns.push_back({static_cast<uint8_t>(i == 0 ? 1 : 0), "c" + std::to_string(i), kTypes[i],
                           kTypes[i] == pgtype::kNumeric ? ((10 << 16) | 2) + 4 : -1});
  }
  return rel;
}

void FuzzFrame(std::span<const uint8_t> data) {
  auto frame = ParseReplicationFrame(data);
  if (!frame.ok()) return;
  auto* x = std::get_if<XLogData>(&*frame);
  if (x == nullptr) return;
  auto msg = pgoutput::Decode(x->payload);
  if (!msg.ok()) return;

  static EventOptions options = [] {
    EventOptions o;
    o.name = "fuzz";
    o.database = "db";
    o.transaction_metadata = true;
    o.converter.unknown_types = UnknownTypePolicy::kString;
    return o;
  }();
  RelationCache cache(options);
  CatalogHints hints;
  hints.known = true;
  hints.primary_key = {"c0"};
  hints.types[17000] = TypeInfo{'b', "hstore", 0, 0, ""};
  EventBuilder builder(options, std::make_unique<JsonEncoder>(options, FixedClock));
  Discard out;
  TxnContext txn;
  txn.id = "1:1";

  auto table_for = [&](uint32_t oid) -> const TableSchema* {
    auto* rel = std::get_if<pgoutput::Relation>(&*msg);
    auto t = cache.Update(rel ? *rel : FuzzRelation(oid), hints, true);
    return t.ok() ? *t : nullptr;
  };
  if (auto* r = std::get_if<pgoutput::Relation>(&*msg)) {
    (void)table_for(r->oid);
  } else if (auto* ins = std::get_if<pgoutput::Insert>(&*msg)) {
    if (const TableSchema* t = table_for(ins->relation_oid)) {
      (void)builder.OnInsert(*t, *ins, txn, x->wal_start, out);
    }
  } else if (auto* up = std::get_if<pgoutput::Update>(&*msg)) {
    if (const TableSchema* t = table_for(up->relation_oid)) {
      (void)builder.OnUpdate(*t, *up, txn, x->wal_start, out);
    }
  } else if (auto* del = std::get_if<pgoutput::Delete>(&*msg)) {
    if (const TableSchema* t = table_for(del->relation_oid)) {
      (void)builder.OnDelete(*t, *del, txn, x->wal_start, out);
    }
  } else if (auto* m = std::get_if<pgoutput::LogicalMessage>(&*msg)) {
    MessageContext ctx;
    ctx.lsn = m->lsn;
    ctx.prefix = m->prefix;
    ctx.content = m->content;
    (void)builder.OnMessage(ctx, out);
  }
}

void FuzzValue(std::span<const uint8_t> data) {
  if (data.size() < 2) return;
  const uint32_t oid = kTypes[data[0] % (sizeof(kTypes) / sizeof(kTypes[0]))];
  const int32_t typmod = (data[1] & 1) ? ((10 << 16) | 2) + 4 : -1;
  ConverterOptions options;
  options.decimal = static_cast<DecimalHandling>((data[1] >> 1) % 3);
  options.hstore = (data[1] & 8) ? HstoreHandling::kMap : HstoreHandling::kJson;
  options.interval = (data[1] & 16) ? IntervalHandling::kString : IntervalHandling::kNumeric;
  TypeInfo hstore{'b', "hstore", 0, 0, ""};
  TypeLookup lookup = [&](uint32_t o) -> const TypeInfo* { return o == 17000 ? &hstore : nullptr; };
  ColumnCodec codec = CodecFor(oid, typmod, options, lookup);
  std::string text(reinterpret_cast<const char*>(data.data() + 2), data.size() - 2);
  std::string out;
  JsonWriter w(&out);
  (void)AppendValue(codec, text, w);
  out.clear();
  JsonWriter b(&out);
  (void)AppendBinaryValue(codec, text, b);
  out.clear();
  JsonWriter z(&out);
  AppendZeroValue(codec, z);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  std::span<const uint8_t> rest(data + 1, size - 1);
  if (data[0] & 1) {
    FuzzValue(rest);
  } else {
    FuzzFrame(rest);
  }
  return 0;
}
