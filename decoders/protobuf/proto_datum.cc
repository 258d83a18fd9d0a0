#include "decoders/protobuf/proto_datum.h"

#include <cstring>
#include <limits>

#include "decoders/base/base64.h"

namespace cdc::proto {

namespace {

using Kind = ProtoField::Kind;

Status Mismatch(const ProtoField& f, const JsonCursor& in, std::string_view what) {
  return Status::InvalidArgument("cannot write " + std::string(what) + " at offset " +
                                 std::to_string(in.pos()) + " as Protobuf " + f.type + " " +
                                 f.name);
}

bool Packable(Kind k) {
  return k == Kind::kInt32 || k == Kind::kInt64 || k == Kind::kFloat || k == Kind::kDouble ||
         k == Kind::kBool;
}

// Days since 1970-01-01 to the proleptic Gregorian (year, month, day) (Howard Hinnant's
// civil_from_days).
void CivilFromDays(int64_t z, int64_t* y, int64_t* m, int64_t* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = yoe + era * 400 + (*m <= 2 ? 1 : 0);
}

void VarintField(std::string* out, int tag, int64_t v) {
  if (v == 0) return;
  WriteTag(out, tag, kVarint);
  WriteVarint(out, static_cast<uint64_t>(v));
}

}  // namespace

uint32_t DecimalDigits(std::string_view twos) {
  if (twos.size() <= 8) {  // fits an int64: no allocation (every numeric(p<=18) column)
    uint64_t bits = twos.empty() || (static_cast<uint8_t>(twos[0]) & 0x80) == 0 ? 0 : ~0ull;
    for (char c : twos) bits = (bits << 8) | static_cast<uint8_t>(c);
    // The magnitude of a negative value in unsigned arithmetic: INT64_MIN's is 2^63.
    uint64_t mag = (bits >> 63) != 0 ? ~bits + 1 : bits;
    uint32_t digits = 1;
    while (mag >= 10) {
      mag /= 10;
      ++digits;
    }
    return digits;
  }
  std::vector<uint32_t> limbs;  // the magnitude, base 2^32, most significant first
  const bool negative = !twos.empty() && (static_cast<uint8_t>(twos[0]) & 0x80) != 0;
  std::string mag(twos);
  if (negative) {  // negate: invert and add one
    for (char& c : mag) c = static_cast<char>(~static_cast<uint8_t>(c));
    for (size_t i = mag.size(); i-- > 0;) {
      auto b = static_cast<uint8_t>(mag[i]);
      mag[i] = static_cast<char>(b + 1);
      if (b != 0xFF) break;
    }
  }
  const size_t pad = (4 - mag.size() % 4) % 4;
  mag.insert(0, pad, '\0');
  for (size_t i = 0; i < mag.size(); i += 4) {
    uint32_t limb = 0;
    for (size_t j = 0; j < 4; ++j) limb = (limb << 8) | static_cast<uint8_t>(mag[i + j]);
    limbs.push_back(limb);
  }
  uint32_t digits = 0;
  for (;;) {
    while (!limbs.empty() && limbs.front() == 0) limbs.erase(limbs.begin());
    if (limbs.empty()) return digits == 0 ? 1 : digits;
    if (limbs.size() == 1 && limbs[0] < 1000000000u) {
      for (uint32_t v = limbs[0]; v != 0; v /= 10) ++digits;
      return digits;
    }
    uint64_t rem = 0;  // divide by 10^9: nine digits per pass
    for (uint32_t& limb : limbs) {
      const uint64_t cur = (rem << 32) | limb;
      limb = static_cast<uint32_t>(cur / 1000000000u);
      rem = cur % 1000000000u;
    }
    digits += 9;
  }
}

std::string& ProtoDatumWriter::Scratch(size_t depth) {
  while (scratch_.size() <= depth) scratch_.emplace_back();
  std::string& s = scratch_[depth];
  s.clear();
  return s;
}

Status ProtoDatumWriter::Message(const ProtoMessage& m, JsonCursor& in, std::string* out,
                                 size_t depth) {
  if (!in.BeginObject()) {
    return Status::InvalidArgument("cannot write a non-object at offset " +
                                   std::to_string(in.pos()) + " as Protobuf message " + m.name);
  }
  size_t next = 0;
  bool more = true;
  for (;;) {
    if (!in.NextKey(&str_, &more)) {
      return Status::InvalidArgument("malformed object at offset " + std::to_string(in.pos()));
    }
    if (!more) break;
    // Members come in schema order (the JSON renderers write them so); one the JSON leaves out
    // is absent.
    while (next < m.fields.size() && m.fields[next].name != str_) ++next;
    if (next == m.fields.size()) {
      return Status::InvalidArgument("cannot write the unknown member '" + str_ +
                                     "' as a field of Protobuf message " + m.name);
    }
    if (Status st = Field(m.fields[next], in, out, depth); !st.ok()) {
      return st.WithContext(m.name + "." + m.fields[next].name);
    }
    ++next;
  }
  return Status::Ok();
}

Status ProtoDatumWriter::Field(const ProtoField& f, JsonCursor& in, std::string* out,
                               size_t depth) {
  if (in.Peek() == 'n') {  // null: absent
    if (!in.ReadNull()) return Mismatch(f, in, "null");
    return Status::Ok();
  }
  if (f.map) return MapEntries(f, in, out, depth);
  if (!f.repeated) return Value(f, in, out, depth, false);
  if (!in.BeginArray()) return Mismatch(f, in, "a non-array");
  const bool packed = Packable(f.kind);
  std::string* items = packed ? &Scratch(depth) : out;
  bool more = true;
  for (;;) {
    if (!in.NextElement(&more)) return Mismatch(f, in, "a malformed array");
    if (!more) break;
    if (in.Peek() == 'n') return Mismatch(f, in, "a null array element");
    CDC_RETURN_IF_ERROR(Value(f, in, items, depth + 1, packed));
  }
  if (packed && !items->empty()) {  // an empty list is not written
    WriteTag(out, f.tag, kLengthDelimited);
    WriteVarint(out, items->size());
    out->append(*items);
  }
  return Status::Ok();
}

Status ProtoDatumWriter::MapEntries(const ProtoField& f, JsonCursor& in, std::string* out,
                                    size_t depth) {
  if (!in.BeginObject()) return Mismatch(f, in, "a non-object");
  const ProtoMessage& entry = *f.message;
  if (entry.fields.size() != 2 || entry.fields[0].kind != Kind::kString) {
    return Mismatch(f, in, "a map whose keys are not strings");
  }
  bool more = true;
  std::string key;
  for (;;) {
    if (!in.NextKey(&key, &more)) return Mismatch(f, in, "a malformed object");
    if (!more) break;
    std::string& e = Scratch(depth);
    if (!key.empty()) {
      WriteTag(&e, 1, kLengthDelimited);
      WriteVarint(&e, key.size());
      e.append(key);
    }
    CDC_RETURN_IF_ERROR(Field(entry.fields[1], in, &e, depth + 1));
    WriteTag(out, f.tag, kLengthDelimited);
    WriteVarint(out, e.size());
    out->append(e);
  }
  return Status::Ok();
}

Status ProtoDatumWriter::Value(const ProtoField& f, JsonCursor& in, std::string* out, size_t depth,
                               bool packed) {
  // A singular zero value is not written (proto3 implicit presence); an element of a list, or
  // the value of an `optional` field, always is.
  const bool keep_zero = f.repeated || f.optional;
  switch (f.kind) {
    case Kind::kInt32:
    case Kind::kInt64: {
      int64_t v = 0;
      if (!in.ReadInt64(&v)) return Mismatch(f, in, "a non-integer");
      if (f.kind == Kind::kInt32 &&
          (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max())) {
        return Mismatch(f, in, "an out-of-range int32");
      }
      if (v == 0 && !keep_zero) return Status::Ok();
      if (!packed) WriteTag(out, f.tag, kVarint);
      WriteVarint(out, static_cast<uint64_t>(v));  // negative: ten bytes, sign-extended
      return Status::Ok();
    }
    case Kind::kFloat:
    case Kind::kDouble: {
      double v = 0;
      if (!in.ReadDouble(&v)) return Mismatch(f, in, "a non-number");
      const bool is_float = f.kind == Kind::kFloat;
      uint64_t bits = 0;
      if (is_float) {
        const auto fv = static_cast<float>(v);
        uint32_t b32;
        std::memcpy(&b32, &fv, sizeof b32);
        bits = b32;
      } else {
        std::memcpy(&bits, &v, sizeof bits);
      }
      if (bits == 0 && !keep_zero) return Status::Ok();  // +0.0 only: -0.0 is written
      if (!packed) WriteTag(out, f.tag, is_float ? kFixed32 : kFixed64);
      for (int i = 0; i < (is_float ? 4 : 8); ++i) {
        out->push_back(static_cast<char>((bits >> (8 * i)) & 0xFF));
      }
      return Status::Ok();
    }
    case Kind::kBool: {
      bool b = false;
      if (!in.ReadBool(&b)) return Mismatch(f, in, "a non-boolean");
      if (!b && !keep_zero) return Status::Ok();
      if (!packed) WriteTag(out, f.tag, kVarint);
      out->push_back(b ? '\1' : '\0');
      return Status::Ok();
    }
    case Kind::kString:
    case Kind::kBytes: {
      if (!in.ReadString(&str_)) return Mismatch(f, in, "a non-string");
      const std::string* v = &str_;
      if (f.kind == Kind::kBytes) {
        bytes_.clear();
        if (!AppendBase64Decoded(&bytes_, str_)) return Mismatch(f, in, "invalid base64");
        v = &bytes_;
      }
      if (v->empty() && !keep_zero) return Status::Ok();
      WriteTag(out, f.tag, kLengthDelimited);
      WriteVarint(out, v->size());
      out->append(*v);
      return Status::Ok();
    }
    case Kind::kMessage: {
      std::string& body = Scratch(depth);
      CDC_RETURN_IF_ERROR(Message(*f.message, in, &body, depth + 1));
      WriteTag(out, f.tag, kLengthDelimited);
      WriteVarint(out, body.size());
      out->append(body);
      return Status::Ok();
    }
    case Kind::kDecimal: {
      if (!in.ReadString(&str_)) return Mismatch(f, in, "a non-string decimal");
      bytes_.clear();
      if (!AppendBase64Decoded(&bytes_, str_)) return Mismatch(f, in, "invalid base64");
      std::string& body = Scratch(depth);
      if (!bytes_.empty()) {
        WriteTag(&body, 1, kLengthDelimited);
        WriteVarint(&body, bytes_.size());
        body.append(bytes_);
      }
      VarintField(&body, 2, DecimalDigits(bytes_));
      VarintField(&body, 3, f.scale);
      WriteTag(out, f.tag, kLengthDelimited);
      WriteVarint(out, body.size());
      out->append(body);
      return Status::Ok();
    }
    case Kind::kDate:
    case Kind::kTimeOfDay:
    case Kind::kTimestamp: {
      int64_t v = 0;
      if (!in.ReadInt64(&v)) return Mismatch(f, in, "a non-integer");
      std::string& body = Scratch(depth);
      if (f.kind == Kind::kDate) {
        int64_t y = 0, m = 0, d = 0;
        CivilFromDays(v, &y, &m, &d);
        VarintField(&body, 1, y);
        VarintField(&body, 2, m);
        VarintField(&body, 3, d);
      } else if (f.kind == Kind::kTimeOfDay) {
        VarintField(&body, 1, v / 3600000);
        VarintField(&body, 2, v / 60000 % 60);
        VarintField(&body, 3, v / 1000 % 60);
        VarintField(&body, 4, v % 1000 * 1000000);
      } else {
        const int64_t seconds = v >= 0 ? v / 1000 : -((-v + 999) / 1000);
        VarintField(&body, 1, seconds);
        VarintField(&body, 2, (v - seconds * 1000) * 1000000);
      }
      WriteTag(out, f.tag, kLengthDelimited);
      WriteVarint(out, body.size());
      out->append(body);
      return Status::Ok();
    }
  }
  return Mismatch(f, in, "a value");
}

}  // namespace cdc::proto
