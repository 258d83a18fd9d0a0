#include "decoders/values/binary_json.h"

#include <limits>
#include <span>

#include "decoders/base/base64.h"
#include "decoders/base/byte_reader.h"
#include "decoders/values/pg_binary.h"
#include "decoders/values/pg_text.h"
#include "decoders/values/pg_type_oids.h"
#include "decoders/values/value_json.h"

namespace cdc {

namespace {

using pgtext::kPgEpochUnixDays;
using pgtext::kPgEpochUnixMicros;
using pgtext::kTimestampNegInfinity;
using pgtext::kTimestampPosInfinity;

ByteReader ReaderOf(std::string_view bytes) {
  return ByteReader(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
}

Status Malformed(const ColumnCodec& c, std::string_view bytes) {
  std::string name = c.type_name;
  if (name.empty()) name = c.oid != 0 ? "OID " + std::to_string(c.oid) : "value";
  return Status::Corruption("cannot decode binary " + name + " value (" +
                            std::to_string(bytes.size()) + " bytes)");
}

Status AppendArray(const ColumnCodec& c, std::string_view bytes, JsonWriter& w) {
  // array_send: ndim, has-nulls flag, element type, ndim x (length, lower bound), then each
  // element as int32 length (-1: NULL) + bytes, in row-major order.
  ByteReader r = ReaderOf(bytes);
  int32_t ndim, flags;
  uint32_t elem_oid;
  if (!r.ReadI32(&ndim) || !r.ReadI32(&flags) || !r.ReadU32(&elem_oid) || ndim < 0 || ndim > 6) {
    return Malformed(c, bytes);
  }
  uint64_t items = ndim == 0 ? 0 : 1;
  for (int32_t d = 0; d < ndim; ++d) {
    int32_t len, lbound;
    if (!r.ReadI32(&len) || !r.ReadI32(&lbound) || len < 0) return Malformed(c, bytes);
    items *= static_cast<uint64_t>(len);
    // Each element takes at least its 4-byte length: more items than that cannot be there.
    if (items > r.remaining() / 4 + 1) return Malformed(c, bytes);
  }
  w.BeginArray();
  for (uint64_t i = 0; i < items; ++i) {
    int32_t len;
    std::string_view e;
    if (!r.ReadI32(&len) || len < -1) return Malformed(c, bytes);
    if (len == -1) {
      w.Null();
      continue;
    }
    if (!r.ReadBytes(static_cast<size_t>(len), &e)) return Malformed(c, bytes);
    CDC_RETURN_IF_ERROR(AppendBinaryValue(*c.element, e, w));
  }
  if (!r.empty()) return Malformed(c, bytes);
  w.EndArray();
  return Status::Ok();
}

}  // namespace

Status AppendBinaryValue(const ColumnCodec& c, std::string_view bytes, JsonWriter& w) {
  if (!BinaryDecodable(c)) {
    return Status::InvalidArgument("a binary-format value of type " + BinaryUndecodableTypeName(c) +
                                   " arrived, which pgcdc decodes only in text form");
  }
  thread_local std::string text;
  ByteReader r = ReaderOf(bytes);
  switch (c.type) {
    case ValueType::kBytes: {
      // Straight from the raw bytes to the output, as the text path does from hex.
      std::string* out = w.BeginUnescapedString();
      if (c.binary == BinaryHandling::kHex) {
        AppendHex(out, bytes);
      } else {
        AppendBase64(out, bytes, c.binary == BinaryHandling::kBase64UrlSafe);
      }
      w.EndUnescapedString();
      return Status::Ok();
    }
    case ValueType::kString:
      if (c.oid == pgtype::kChar || c.oid == pgtype::kMacaddr || c.oid == pgtype::kMacaddr8) break;
      return AppendValue(c, bytes, w);  // textsend: the text itself
    case ValueType::kXml:
    case ValueType::kEnum: return AppendValue(c, bytes, w);
    case ValueType::kJson:
      if (c.oid == pgtype::kJsonb) {
        // jsonb_send: version 1, then the text jsonb_out prints.
        if (bytes.empty() || bytes[0] != 1) return Malformed(c, bytes);
        return AppendValue(c, bytes.substr(1), w);
      }
      return AppendValue(c, bytes, w);
    case ValueType::kLtree:
      if (bytes.empty() || bytes[0] != 1) return Malformed(c, bytes);  // ltree_send: version 1
      return AppendValue(c, bytes.substr(1), w);
    case ValueType::kHstoreJson:
    case ValueType::kHstoreMap: {
      std::string hstore;
      if (!pgbinary::HstoreToText(bytes, &hstore)) return Malformed(c, bytes);
      return AppendValue(c, hstore, w);
    }
    case ValueType::kArray: return AppendArray(c, bytes, w);
    case ValueType::kDate:
    case ValueType::kConnectDate: {
      int32_t days;
      if (!r.ReadI32(&days) || !r.empty()) return Malformed(c, bytes);
      // ±infinity are INT32_MAX/MIN in both forms; the text path renders them the same way.
      if (days == std::numeric_limits<int32_t>::max() ||
          days == std::numeric_limits<int32_t>::min()) {
        w.Int(days);
      } else {
        w.Int(days + kPgEpochUnixDays);
      }
      return Status::Ok();
    }
    case ValueType::kTimeMillis:
    case ValueType::kTimeMicros:
    case ValueType::kConnectTime: {
      int64_t micros;
      if (!r.ReadI64(&micros) || !r.empty() || micros < 0 || micros > pgtext::kMicrosPerDay) {
        return Malformed(c, bytes);
      }
      w.Int(c.type == ValueType::kTimeMicros ? micros : micros / 1000);
      return Status::Ok();
    }
    case ValueType::kTimeTz: {
      int64_t micros;
      int32_t zone;  // seconds west of UTC
      if (!r.ReadI64(&micros) || !r.ReadI32(&zone) || !r.empty() || micros < 0 ||
          micros > pgtext::kMicrosPerDay) {
        return Malformed(c, bytes);
      }
      const int64_t utc = micros + int64_t{zone} * pgtext::kMicrosPerSecond;
      text.clear();
      pgtext::AppendClock(
          &text, ((utc % pgtext::kMicrosPerDay) + pgtext::kMicrosPerDay) % pgtext::kMicrosPerDay);
      text.push_back('Z');
      w.String(text);
      return Status::Ok();
    }
    case ValueType::kTimestampMillis:
    case ValueType::kTimestampMicros:
    case ValueType::kConnectTimestamp:
    case ValueType::kTimestampTz: {
      int64_t pg;
      if (!r.ReadI64(&pg) || !r.empty()) return Malformed(c, bytes);
      const bool pos_inf = pg == std::numeric_limits<int64_t>::max();
      const bool neg_inf = pg == std::numeric_limits<int64_t>::min();
      if (c.type == ValueType::kTimestampTz) {
        if (pos_inf || neg_inf) {
          w.String(pos_inf ? "infinity" : "-infinity");
          return Status::Ok();
        }
      } else if (pos_inf || neg_inf) {
        const int64_t sentinel = pos_inf ? kTimestampPosInfinity : kTimestampNegInfinity;
        w.Int(c.type == ValueType::kTimestampMicros ? sentinel : sentinel / 1000);
        return Status::Ok();
      }
      int64_t unix_micros;
      if (__builtin_add_overflow(pg, kPgEpochUnixMicros, &unix_micros)) return Malformed(c, bytes);
      if (c.type == ValueType::kTimestampTz) {
        text.clear();
        pgtext::AppendIsoInstant(&text, unix_micros, c.frac_digits);
        w.String(text);
      } else {
        w.Int(c.type == ValueType::kTimestampMicros ? unix_micros
                                                    : pgtext::FloorDiv(unix_micros, 1000));
      }
      return Status::Ok();
    }
    case ValueType::kBool:
    case ValueType::kInt16:
    case ValueType::kInt32:
    case ValueType::kInt64:
    case ValueType::kFloat32:
    case ValueType::kFloat64:
    case ValueType::kDecimal:
    case ValueType::kVariableDecimal:
    case ValueType::kDecimalDouble:
    case ValueType::kDecimalString:
    case ValueType::kMoney:
    case ValueType::kUuid:
    case ValueType::kIntervalMicros:
    case ValueType::kIntervalString:
    case ValueType::kBits:
    case ValueType::kPoint:
    case ValueType::kGeometry:
    case ValueType::kCircle:
    case ValueType::kLine:
    case ValueType::kTsvector:
    case ValueType::kTimeNanos:
    case ValueType::kTimestampNanos:
    case ValueType::kIsoDate:
    case ValueType::kIsoTime:
    case ValueType::kIsoTimestamp:
    case ValueType::kUnknownBytes:
    case ValueType::kUnmappedText: break;
  }
  if (!pgbinary::BinaryToText(c.oid, bytes, &text)) return Malformed(c, bytes);
  return AppendValue(c, text, w);
}

}  // namespace cdc
