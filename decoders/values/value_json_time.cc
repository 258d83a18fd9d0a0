// The date, time, timestamp and interval cases of AppendValue (value_json.cc), in Debezium's
// time.precision.mode renderings (adaptive, adaptive_time_microseconds, connect, isostring,
// microseconds, nanoseconds) and interval.handling.mode. A separate file only to keep the one
// switch short; the contract is AppendValue's. Pure functions, thread-compatible.

#include <cstdint>
#include <string>

#include "decoders/values/pg_text.h"
#include "decoders/values/value_json.h"

namespace cdc {

namespace {

using namespace pgtext;  // NOLINT(google-build-using-namespace): this file renders its forms

// Debezium's MicroDuration counts a month as 365.25 / 12 days = 2,629,800 s.
constexpr int64_t kMicrosPerMonth = 2'629'800 * kMicrosPerSecond;

bool IsInfinity(std::string_view t) { return t == "infinity" || t == "-infinity"; }

}  // namespace

Status AppendDateValue(const ColumnCodec& c, std::string_view t, JsonWriter& w) {
  if (c.type == ValueType::kIsoDate) {
    // IsoDate (DateTimeFormatter.ISO_OFFSET_DATE in UTC). ±infinity: what Debezium 3.6.1
    // prints for the java.sql.Date it reads them as, in UTC.
    if (IsInfinity(t)) {
      w.String(t[0] == '-' ? "+292269055-12-02Z" : "+292278994-08-17Z");
      return Status::Ok();
    }
    int64_t days;
    if (!ParseDate(t, &days)) return UnparseableValue("date", t);
    thread_local std::string scratch;
    scratch.clear();
    AppendIsoDate(&scratch, days);
    scratch.push_back('Z');
    w.String(scratch);
    return Status::Ok();
  }
  // kDate, kConnectDate: days since the epoch.
  if (IsInfinity(t)) {
    w.Int(t[0] == '-' ? INT32_MIN : INT32_MAX);
    return Status::Ok();
  }
  int64_t days;
  if (!ParseDate(t, &days)) return UnparseableValue("date", t);
  w.Int(days);
  return Status::Ok();
}

Status AppendTimeValue(const ColumnCodec& c, std::string_view t, JsonWriter& w) {
  thread_local std::string scratch;
  if (c.type == ValueType::kTimeTz) {
    int64_t utc;
    if (!ParseTimeTz(t, &utc)) return UnparseableValue("timetz", t);
    scratch.clear();
    AppendClock(&scratch, utc);
    scratch.push_back('Z');
    w.String(scratch);
    return Status::Ok();
  }
  int64_t micros;
  if (!ParseTime(t, &micros)) return UnparseableValue("time", t);
  if (c.type == ValueType::kIsoTime) {
    // IsoTime (ISO_OFFSET_TIME at UTC): the fraction without trailing zeros.
    scratch.clear();
    AppendClock(&scratch, micros, -1);
    scratch.push_back('Z');
    w.String(scratch);
    return Status::Ok();
  }
  if (c.type == ValueType::kTimeNanos) {
    w.Int(micros * 1000);
  } else {  // kTimeMicros, kTimeMillis, kConnectTime
    w.Int(c.type == ValueType::kTimeMicros ? micros : micros / 1000);
  }
  return Status::Ok();
}

Status AppendTimestampValue(const ColumnCodec& c, std::string_view t, JsonWriter& w) {
  thread_local std::string scratch;
  int64_t micros;
  bool has_offset;
  if (c.type == ValueType::kTimestampTz) {
    // ZonedTimestamp: ±infinity as the words.
    if (IsInfinity(t)) {
      w.String(t);
      return Status::Ok();
    }
    if (!ParseTimestamp(t, &micros, &has_offset)) return UnparseableValue("timestamptz", t);
    scratch.clear();
    AppendIsoInstant(&scratch, micros, c.frac_digits);
    w.String(scratch);
    return Status::Ok();
  }
  if (c.type == ValueType::kTimestampNanos) {
    // NanoTimestamp: ±infinity are Long.MAX_VALUE / Long.MIN_VALUE
    // (PostgresTemporalPrecisionHandlingIT.shouldConvertInfinityTimestampsToLongMinMax).
    if (IsInfinity(t)) {
      w.Int(t[0] == '-' ? INT64_MIN : INT64_MAX);
      return Status::Ok();
    }
    int64_t nanos;
    if (!ParseTimestamp(t, &micros, &has_offset)) return UnparseableValue("timestamp", t);
    if (__builtin_mul_overflow(micros, 1000, &nanos)) {
      return Status::InvalidArgument("timestamp '" + std::string(t.substr(0, 64)) +
                                     "' exceeds NanoTimestamp's range");
    }
    w.Int(nanos);
    return Status::Ok();
  }
  if (c.type == ValueType::kIsoTimestamp) {
    // IsoTimestamp (ISO_OFFSET_DATE_TIME at UTC); ±infinity as the sentinel instants the
    // other modes use (PostgresTemporalPrecisionHandlingIT.shouldReceiveDeletesWithInfinityDate).
    if (IsInfinity(t)) {
      micros = t[0] == '-' ? kTimestampNegInfinity : kTimestampPosInfinity;
    } else if (!ParseTimestamp(t, &micros, &has_offset)) {
      return UnparseableValue("timestamp", t);
    }
    scratch.clear();
    AppendIsoInstant(&scratch, micros, -1);
    w.String(scratch);
    return Status::Ok();
  }
  // kTimestampMicros, kTimestampMillis, kConnectTimestamp: since the epoch.
  const bool in_micros = c.type == ValueType::kTimestampMicros;
  if (IsInfinity(t)) {
    const int64_t sentinel = t[0] == '-' ? kTimestampNegInfinity : kTimestampPosInfinity;
    w.Int(in_micros ? sentinel : sentinel / 1000);
    return Status::Ok();
  }
  if (!ParseTimestamp(t, &micros, &has_offset)) return UnparseableValue("timestamp", t);
  w.Int(in_micros ? micros : FloorDiv(micros, 1000));
  return Status::Ok();
}

Status AppendIntervalValue(const ColumnCodec& c, std::string_view t, JsonWriter& w) {
  int64_t months, days, micros;
  if (!ParseInterval(t, &months, &days, &micros)) return UnparseableValue("interval", t);
  if (c.type == ValueType::kIntervalMicros) {
    int64_t total, part;
    if (__builtin_mul_overflow(months, kMicrosPerMonth, &total) ||
        __builtin_mul_overflow(days, kMicrosPerDay, &part) ||
        __builtin_add_overflow(total, part, &total) ||
        __builtin_add_overflow(total, micros, &total)) {
      return Status::InvalidArgument("interval '" + std::string(t.substr(0, 64)) +
                                     "' exceeds MicroDuration's range; use "
                                     "format.interval_handling: string");
    }
    w.Int(total);
    return Status::Ok();
  }
  // kIntervalString: ISO 8601 as Debezium's interval.handling.mode=string writes it.
  thread_local std::string scratch;
  scratch.clear();
  // 'P' alone: `"P" + std::to_string(..)` trips GCC 12's -Wrestrict at -O3 (GCC bug 105329).
  scratch += 'P';
  scratch += std::to_string(months / 12) + "Y" + std::to_string(months % 12) + "M" +
             std::to_string(days) + "DT";
  int64_t secs = micros / kMicrosPerSecond;
  scratch += std::to_string(secs / 3600) + "H" + std::to_string((secs / 60) % 60) + "M";
  scratch += std::to_string(secs % 60);
  int64_t frac = micros % kMicrosPerSecond;
  if (frac < 0) frac = -frac;
  AppendFraction(&scratch, frac, -1);
  scratch += "S";
  w.String(scratch);
  return Status::Ok();
}

}  // namespace cdc
