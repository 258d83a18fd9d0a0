#include "decoders/values/pg_binary.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <span>

#include "decoders/base/append_number.h"
#include "decoders/base/base64.h"
#include "decoders/base/byte_reader.h"
#include "decoders/values/pg_text.h"
#include "decoders/values/pg_type_oids.h"

namespace cdc {

namespace {

ByteReader ReaderOf(std::string_view bytes) {
  return ByteReader(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
}

bool ReadF64(ByteReader& r, double* out) {
  uint64_t bits;
  if (!r.ReadU64(&bits)) return false;
  std::memcpy(out, &bits, sizeof(*out));
  return true;
}

void AppendPadded4(std::string* out, unsigned v) {
  char buf[4];
  for (int i = 3; i >= 0; --i) {
    buf[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  out->append(buf, 4);
}

// numeric_send: ndigits, weight, sign, dscale (int16 each), then base-10000 digits; printed as
// get_str_from_var in src/backend/utils/adt/numeric.c does.
bool NumericText(ByteReader& r, std::string* out) {
  int16_t ndigits, weight, dscale;
  uint16_t sign;
  if (!r.ReadI16(&ndigits) || !r.ReadI16(&weight) || !r.ReadU16(&sign) || !r.ReadI16(&dscale)) {
    return false;
  }
  if (ndigits < 0 || dscale < 0) return false;
  switch (sign) {
    case 0xC000: out->append("NaN"); return ndigits == 0 && r.empty();
    case 0xD000: out->append("Infinity"); return ndigits == 0 && r.empty();
    case 0xF000: out->append("-Infinity"); return ndigits == 0 && r.empty();
    case 0x0000:
    case 0x4000: break;
    default: return false;
  }
  std::vector<uint16_t> digits(static_cast<size_t>(ndigits));
  for (auto& d : digits) {
    if (!r.ReadU16(&d) || d > 9999) return false;
  }
  if (!r.empty()) return false;
  auto digit = [&](int i) -> unsigned {
    return i >= 0 && i < ndigits ? digits[static_cast<size_t>(i)] : 0u;
  };
  if (sign == 0x4000) out->push_back('-');
  if (weight < 0) {
    out->push_back('0');
  } else {
    AppendInt(out, digit(0));
    for (int d = 1; d <= weight; ++d) AppendPadded4(out, digit(d));
  }
  if (dscale > 0) {
    out->push_back('.');
    const size_t end = out->size() + static_cast<size_t>(dscale);
    for (int d = weight + 1; out->size() < end; ++d) AppendPadded4(out, digit(d));
    out->resize(end);
  }
  return true;
}

void AppendPoint(std::string* out, double x, double y) {
  out->push_back('(');
  pgbinary::AppendFloat8Text(out, x);
  out->push_back(',');
  pgbinary::AppendFloat8Text(out, y);
  out->push_back(')');
}

// `n` points as "(x,y),(x,y)", as path_encode in src/backend/utils/adt/geo_ops.c.
bool ReadPoints(ByteReader& r, int64_t n, std::string* out) {
  if (n < 0 || static_cast<uint64_t>(n) > r.remaining() / 16) return false;
  for (int64_t i = 0; i < n; ++i) {
    double x, y;
    if (!ReadF64(r, &x) || !ReadF64(r, &y)) return false;
    if (i > 0) out->push_back(',');
    AppendPoint(out, x, y);
  }
  return true;
}

void AppendHexByte(std::string* out, uint8_t b) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back(kHex[b >> 4]);
  out->push_back(kHex[b & 15]);
}

// hstore_send: int32 count, then per pair int32 key length + key, int32 value length (-1: NULL)
// + value; rewritten as hstore_out's text, which ParseHstore reads back.
bool HstoreText(ByteReader& r, std::string* out) {
  int32_t count;
  if (!r.ReadI32(&count) || count < 0) return false;
  auto quoted = [out](std::string_view s) {
    out->push_back('"');
    for (char c : s) {
      if (c == '"' || c == '\\') out->push_back('\\');
      out->push_back(c);
    }
    out->push_back('"');
  };
  for (int32_t i = 0; i < count; ++i) {
    int32_t klen, vlen;
    std::string_view k, v;
    if (!r.ReadI32(&klen) || klen < 0 || !r.ReadBytes(static_cast<size_t>(klen), &k) ||
        !r.ReadI32(&vlen) || vlen < -1) {
      return false;
    }
    if (i > 0) out->append(", ");
    quoted(k);
    out->append("=>");
    if (vlen == -1) {
      out->append("NULL");
    } else {
      if (!r.ReadBytes(static_cast<size_t>(vlen), &v)) return false;
      quoted(v);
    }
  }
  return r.empty();
}

bool IsOneOf(uint32_t oid, std::initializer_list<uint32_t> oids) {
  for (uint32_t o : oids) {
    if (o == oid) return true;
  }
  return false;
}

}  // namespace

namespace pgbinary {

bool BinaryToText(uint32_t oid, std::string_view bytes, std::string* out) {
  out->clear();
  ByteReader r = ReaderOf(bytes);
  bool ok = false;
  switch (oid) {
    case pgtype::kBool: {
      uint8_t b;
      if ((ok = r.ReadU8(&b))) out->append(b != 0 ? "t" : "f");
      break;
    }
    case pgtype::kInt2: {
      int16_t v;
      if ((ok = r.ReadI16(&v))) AppendInt(out, v);
      break;
    }
    case pgtype::kInt4: {
      int32_t v;
      if ((ok = r.ReadI32(&v))) AppendInt(out, v);
      break;
    }
    case pgtype::kInt8: {
      int64_t v;
      if ((ok = r.ReadI64(&v))) AppendInt(out, v);
      break;
    }
    case pgtype::kOid: {
      uint32_t v;
      if ((ok = r.ReadU32(&v))) AppendInt(out, v);
      break;
    }
    case pgtype::kFloat4: {
      uint32_t bits;
      if ((ok = r.ReadU32(&bits))) {
        float f;
        std::memcpy(&f, &bits, sizeof(f));
        AppendFloat4Text(out, f);
      }
      break;
    }
    case pgtype::kFloat8: {
      double d;
      if ((ok = ReadF64(r, &d))) AppendFloat8Text(out, d);
      break;
    }
    case pgtype::kNumeric: ok = NumericText(r, out); break;
    case pgtype::kChar: {
      // charout: NUL prints as "", a byte with the high bit set as \ooo.
      uint8_t c;
      if ((ok = r.ReadU8(&c)) && c != 0) {
        if (c & 0x80) {
          out->push_back('\\');
          out->push_back(static_cast<char>('0' + (c >> 6)));
          out->push_back(static_cast<char>('0' + ((c >> 3) & 7)));
          out->push_back(static_cast<char>('0' + (c & 7)));
        } else {
          out->push_back(static_cast<char>(c));
        }
      }
      break;
    }
    case pgtype::kUuid: {
      std::string_view b;
      if ((ok = r.ReadBytes(16, &b))) {
        for (size_t i = 0; i < 16; ++i) {
          if (i == 4 || i == 6 || i == 8 || i == 10) out->push_back('-');
          AppendHexByte(out, static_cast<uint8_t>(b[i]));
        }
      }
      break;
    }
    case pgtype::kMacaddr:
    case pgtype::kMacaddr8: {
      std::string_view b;
      const size_t n = oid == pgtype::kMacaddr ? 6 : 8;
      if ((ok = r.ReadBytes(n, &b))) {
        for (size_t i = 0; i < n; ++i) {
          if (i > 0) out->push_back(':');
          AppendHexByte(out, static_cast<uint8_t>(b[i]));
        }
      }
      break;
    }
    case pgtype::kBit:
    case pgtype::kVarbit: {
      int32_t nbits;
      std::string_view b;
      if (!r.ReadI32(&nbits) || nbits < 0 ||
          !r.ReadBytes((static_cast<size_t>(nbits) + 7) / 8, &b)) {
        break;
      }
      out->reserve(static_cast<size_t>(nbits));
      for (int32_t i = 0; i < nbits; ++i) {
        const auto byte = static_cast<uint8_t>(b[static_cast<size_t>(i / 8)]);
        out->push_back((byte >> (7 - i % 8)) & 1 ? '1' : '0');
      }
      ok = true;
      break;
    }
    case pgtype::kInterval: {
      // interval_send: micros, days, months. Printed in a form ParseInterval reads (not
      // PostgreSQL's own, which groups years): the parts are what matter.
      int64_t micros;
      int32_t days, months;
      if (!(ok = r.ReadI64(&micros) && r.ReadI32(&days) && r.ReadI32(&months))) break;
      AppendInt(out, months);
      out->append(" mons ");
      AppendInt(out, days);
      out->append(" days ");
      uint64_t u = static_cast<uint64_t>(micros);
      if (micros < 0) {
        out->push_back('-');
        u = 0 - u;
      }
      const uint64_t secs = u / 1000000;
      AppendInt(out, static_cast<int64_t>(secs / 3600));
      out->push_back(':');
      const auto two = [out](uint64_t v) {
        out->push_back(static_cast<char>('0' + v / 10));
        out->push_back(static_cast<char>('0' + v % 10));
      };
      two(secs / 60 % 60);
      out->push_back(':');
      two(secs % 60);
      pgtext::AppendFraction(out, static_cast<int64_t>(u % 1000000), -1);
      break;
    }
    case pgtype::kPoint: {
      double x, y;
      if ((ok = ReadF64(r, &x) && ReadF64(r, &y))) AppendPoint(out, x, y);
      break;
    }
    case pgtype::kLseg:
      out->push_back('[');
      ok = ReadPoints(r, 2, out);
      out->push_back(']');
      break;
    case pgtype::kBox:  // high corner, then low corner
      ok = ReadPoints(r, 2, out);
      break;
    case pgtype::kPath: {
      uint8_t closed;
      int32_t n;
      if (!r.ReadU8(&closed) || !r.ReadI32(&n)) break;
      out->push_back(closed ? '(' : '[');
      ok = ReadPoints(r, n, out);
      out->push_back(closed ? ')' : ']');
      break;
    }
    case pgtype::kPolygon: {
      int32_t n;
      if (!r.ReadI32(&n)) break;
      out->push_back('(');
      ok = ReadPoints(r, n, out);
      out->push_back(')');
      break;
    }
    case pgtype::kLine: {
      double a, b, c;
      if (!(ok = ReadF64(r, &a) && ReadF64(r, &b) && ReadF64(r, &c))) break;
      out->push_back('{');
      AppendFloat8Text(out, a);
      out->push_back(',');
      AppendFloat8Text(out, b);
      out->push_back(',');
      AppendFloat8Text(out, c);
      out->push_back('}');
      break;
    }
    case pgtype::kCircle: {
      double x, y, radius;
      if (!(ok = ReadF64(r, &x) && ReadF64(r, &y) && ReadF64(r, &radius))) break;
      out->push_back('<');
      AppendPoint(out, x, y);
      out->push_back(',');
      AppendFloat8Text(out, radius);
      out->push_back('>');
      break;
    }
    default: return false;
  }
  return ok && r.empty();
}

bool HstoreToText(std::string_view bytes, std::string* out) {
  ByteReader r = ReaderOf(bytes);
  return HstoreText(r, out);
}

}  // namespace pgbinary

bool BinaryDecodable(const ColumnCodec& c, bool utf8_client) {
  switch (BinaryTransferOf(c.type)) {
    case BinaryTransfer::kBuiltin:
      // money is left out: its binary form is in units of lc_monetary's fraction digits, which
      // the text form shows and the binary does not; inet/cidr and ranges: not written yet.
      return IsOneOf(c.oid,
                     {pgtype::kBool,        pgtype::kInt2,     pgtype::kInt4,   pgtype::kInt8,
                      pgtype::kOid,         pgtype::kFloat4,   pgtype::kFloat8, pgtype::kNumeric,
                      pgtype::kUuid,        pgtype::kJson,     pgtype::kJsonb,  pgtype::kBytea,
                      pgtype::kDate,        pgtype::kTime,     pgtype::kTimetz, pgtype::kTimestamp,
                      pgtype::kTimestamptz, pgtype::kInterval, pgtype::kBit,    pgtype::kVarbit,
                      pgtype::kPoint,       pgtype::kLseg,     pgtype::kPath,   pgtype::kBox,
                      pgtype::kPolygon,     pgtype::kLine,     pgtype::kCircle});
    case BinaryTransfer::kTextLike:
      return c.type_name == "citext" ||
             IsOneOf(c.oid, {pgtype::kText, pgtype::kVarchar, pgtype::kBpchar, pgtype::kName,
                             pgtype::kChar, pgtype::kMacaddr, pgtype::kMacaddr8});
    case BinaryTransfer::kAlways: return true;
    case BinaryTransfer::kElements:
      return c.element != nullptr && BinaryDecodable(*c.element, utf8_client);
    case BinaryTransfer::kExtension: return c.type_name == BinaryExtensionOf(c.type);
    case BinaryTransfer::kXmlUtf8: return utf8_client && c.oid == pgtype::kXml;
    case BinaryTransfer::kNever: return false;
  }
  return false;  // not reached: every rule is listed above
}

const char* UnknownTypeNote(ValueType type) {
  if (type == ValueType::kUnmappedText) return " (kept as text under format.unknown_types: string)";
  if (type == ValueType::kUnknownBytes) {
    return " (kept as its text form's bytes under format.unknown_types: bytes)";
  }
  return "";
}

std::string BinaryUndecodableTypeName(const ColumnCodec& c) {
  if (c.type == ValueType::kArray && c.element) return BinaryUndecodableTypeName(*c.element) + "[]";
  if (!c.type_name.empty()) return c.type_name;
  switch (c.oid) {
    case pgtype::kMoney: return "money";
    case pgtype::kInet: return "inet";
    case pgtype::kCidr: return "cidr";
    case pgtype::kXml: return "xml";
    case pgtype::kTsvector: return "tsvector";
    default: return "OID " + std::to_string(c.oid);
  }
}

}  // namespace cdc
