// Large values are held once: bytea hex goes straight to its output encoding, a COPY bytea field
// is used in place, and a large event's buffer is offered to the sink (ChangeEvent::value_owner)
// and not kept afterwards. Each fast path is checked against the general one it replaces.

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "decoders/base/base64.h"
#include "decoders/events/event_builder.h"
#include "decoders/events/relation_cache.h"
#include "decoders/json/json_encoder.h"
#include "decoders/values/pg_text.h"
#include "decoders/values/pg_type_oids.h"
#include "decoders/wire/copy_text.h"

namespace cdc {
namespace {

std::string ByteaHex(const std::string& bytes, bool upper = false) {
  std::string t = "\\x";
  for (unsigned char c : bytes) {
    t.push_back((upper ? "0123456789ABCDEF" : "0123456789abcdef")[c >> 4]);
    t.push_back((upper ? "0123456789ABCDEF" : "0123456789abcdef")[c & 15]);
  }
  return t;
}

TEST(LargeValue, EncodingsFromByteaHexMatchTheTwoStepPath) {
  std::mt19937 rng(7);
  for (size_t len = 0; len < 70; ++len) {
    for (int round = 0; round < 20; ++round) {
      std::string bytes(len, '\0');
      for (auto& c : bytes) c = static_cast<char>(rng() & 0xff);
      const std::string hex = ByteaHex(bytes, round % 2 == 1);
      std::string decoded;
      ASSERT_TRUE(pgtext::DecodeByteaHex(hex, &decoded));
      for (bool url : {false, true}) {
        std::string want = "prefix", got = "prefix";
        AppendBase64(&want, decoded, url);
        ASSERT_TRUE(AppendBase64FromByteaHex(&got, hex, url));
        ASSERT_EQ(got, want) << "len " << len << " url " << url;
      }
      std::string want_hex = "p", got_hex = "p";
      AppendHex(&want_hex, decoded);
      ASSERT_TRUE(AppendHexFromByteaHex(&got_hex, hex));
      ASSERT_EQ(got_hex, want_hex);
    }
  }
}

TEST(LargeValue, MalformedByteaHexLeavesTheOutputAsItWas) {
  for (const std::string& bad : std::vector<std::string>{"", "\\", "x00", "\\x0", "\\x0g", "\\xg0",
                                                         "\\x00112", "\\x001122zz", "\\x0011 2",
                                                         std::string("\\x00\0"
                                                                     "0",
                                                                     6)}) {
    std::string out = "keep";
    EXPECT_FALSE(AppendBase64FromByteaHex(&out, bad)) << bad;
    EXPECT_EQ(out, "keep");
    EXPECT_FALSE(AppendHexFromByteaHex(&out, bad)) << bad;
    EXPECT_EQ(out, "keep");
  }
  // Every position of a bad digit in a longer value, including the last group.
  const std::string good = ByteaHex(std::string(10, '\x5a'));
  for (size_t i = 2; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = 'z';
    std::string out;
    EXPECT_FALSE(AppendBase64FromByteaHex(&out, bad)) << i;
    EXPECT_TRUE(out.empty());
  }
}

TEST(LargeValue, CopyByteaFieldIsUsedInPlace) {
  // COPY text doubles the backslash: \\x00ff. The value must read \x00ff, as pgoutput sends it.
  const std::string line = "1\t\\\\x00ff\t\\\\a\\tb\n";
  std::string storage;
  pgoutput::Tuple t;
  ASSERT_TRUE(ParseCopyTextRow(line, 3, &storage, &t).ok());
  EXPECT_EQ(t[1].data, "\\x00ff");
  EXPECT_GE(t[1].data.data(), line.data());  // a view into the line, not a copy
  EXPECT_LT(t[1].data.data(), line.data() + line.size());
  EXPECT_EQ(t[2].data, "\\a\tb");  // a further escape: de-escaped as before
}

class Keep : public EventEmitter {
 public:
  Status Emit(const ChangeEvent& ev) override {
    values.emplace_back(ev.value.value_or(""));
    owners.push_back(ev.value_owner);
    if (ev.value_owner != nullptr) {
      EXPECT_EQ(ev.value_owner->data(), ev.value->data());
      if (take) taken = std::move(*ev.value_owner);  // what KafkaSink does
    }
    return Status::Ok();
  }
  bool take = true;
  std::string taken;
  std::vector<std::string> values;
  std::vector<const std::string*> owners;
};

TEST(LargeValue, LargeEventsOfferTheirBufferAndDoNotKeepIt) {
  EventOptions options;
  options.name = "shop";
  options.database = "db";
  RelationCache cache(options);
  pgoutput::Relation rel;
  rel.oid = 1;
  rel.nspname = "public";
  rel.relname = "blobs";
  rel.replica_identity = 'd';
  rel.columns = {{1, "id", pgtype::kInt4, -1}, {0, "data", pgtype::kBytea, -1}};
  CatalogHints hints;
  hints.known = true;
  hints.primary_key = {"id"};
  auto t = cache.Update(rel, hints, true);
  ASSERT_TRUE(t.ok());
  EventBuilder b(options, std::make_unique<JsonEncoder>(options));
  TxnContext txn;
  const std::string big = ByteaHex(std::string(EventBuilder::kLargeEventBytes, '\x01'));
  for (bool take : {true, false}) {
    Keep out;
    out.take = take;
    pgoutput::Insert small{
        1, {{pgoutput::ValueKind::kText, "1"}, {pgoutput::ValueKind::kText, "\\x01"}}};
    pgoutput::Insert large{1,
                           {{pgoutput::ValueKind::kText, "2"}, {pgoutput::ValueKind::kText, big}}};
    ASSERT_TRUE(b.OnInsert(**t, small, txn, Lsn(1), out).ok());
    ASSERT_TRUE(b.OnInsert(**t, large, txn, Lsn(2), out).ok());
    ASSERT_TRUE(b.OnInsert(**t, small, txn, Lsn(3), out).ok());
    ASSERT_EQ(out.owners.size(), 3u);
    EXPECT_EQ(out.owners[0], nullptr);
    ASSERT_NE(out.owners[1], nullptr);
    EXPECT_EQ(out.owners[2], nullptr);
    EXPECT_GT(out.values[1].size(), EventBuilder::kLargeEventBytes);
    if (take) EXPECT_EQ(out.taken, out.values[1]);
    EXPECT_EQ(out.values[0].substr(0, 60), out.values[2].substr(0, 60));
    std::string expected_b64;
    std::string raw;
    ASSERT_TRUE(pgtext::DecodeByteaHex(big, &raw));
    AppendBase64(&expected_b64, raw);
    EXPECT_NE(out.values[1].find("\"data\":\"" + expected_b64 + "\""), std::string::npos);
  }
}

}  // namespace
}  // namespace cdc
