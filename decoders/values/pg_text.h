#pragma once

// Parsers and formatters for PostgreSQL's text output forms under the session settings pgcdc
// pins (DateStyle=ISO, TimeZone=UTC, IntervalStyle=postgres, bytea_output=hex), plus the
// calendar and decimal arithmetic Debezium's renderings need. Pure functions; every parser
// rejects input it does not fully consume.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cdc::pgtext {

inline constexpr int64_t kMicrosPerSecond = 1'000'000;
inline constexpr int64_t kMicrosPerDay = 86'400 * kMicrosPerSecond;
// pgjdbc's sentinels for timestamp ±infinity, which Debezium passes through as microseconds;
// the millisecond renderings get the same instant in ms (Debezium 3.6.1, test_debezium_diff.py).
inline constexpr int64_t kTimestampPosInfinity = 9223372036825200000LL;
inline constexpr int64_t kTimestampNegInfinity = -9223372036832400000LL;
// 2000-01-01, PostgreSQL's epoch for the date and timestamp send formats, in Unix days/micros.
inline constexpr int64_t kPgEpochUnixDays = 10957;
inline constexpr int64_t kPgEpochUnixMicros = kPgEpochUnixDays * kMicrosPerDay;

// Days since 1970-01-01 of a proleptic Gregorian date (astronomical years: 1 BC is year 0).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d);
int64_t FloorDiv(int64_t a, int64_t b);

// "YYYY-MM-DD[ BC]" (years may exceed four digits) -> days since epoch.
bool ParseDate(std::string_view text, int64_t* days);
// "HH:MM:SS[.ffffff]" -> micros since midnight (24:00:00 allowed).
bool ParseTime(std::string_view text, int64_t* micros);
// "HH:MM:SS[.ffffff]+HH[:MM[:SS]]" -> micros since midnight in UTC, wrapped into [0, 1 day).
bool ParseTimeTz(std::string_view text, int64_t* utc_micros);
// "YYYY-MM-DD HH:MM:SS[.ffffff][+HH[:MM[:SS]]][ BC]" -> micros since epoch (UTC when an offset
// is present, else the wall clock read as UTC).
bool ParseTimestamp(std::string_view text, int64_t* unix_micros, bool* has_offset);
// "1 year 2 mons -3 days 04:05:06.78" -> months, days and micros.
bool ParseInterval(std::string_view text, int64_t* months, int64_t* days, int64_t* micros);
// "\x0a0b" -> raw bytes.
bool DecodeByteaHex(std::string_view text, std::string* out);

// An array literal ("{1,NULL,\"a b\"}", "{{1,2},{3,4}}", "[0:1]={1,2}") flattened in
// row-major order; nullopt elements are SQL NULLs. `delimiter` is ',' for every type but box.
bool ParseArray(std::string_view text, std::vector<std::optional<std::string>>* out,
                char delimiter = ',');
// hstore text ("\"a\"=>\"1\", \"b\"=>NULL") -> key/value pairs in order.
bool ParseHstore(std::string_view text,
                 std::vector<std::pair<std::string, std::optional<std::string>>>* out);
// A bit string ("0101...") -> Debezium's Bits bytes: the value little-endian, high zero bytes
// trimmed ('000000110000001000000001' -> 01 02 03; '00' -> empty).
bool BitsToBytes(std::string_view bits, std::string* out);
// A point "(x,y)" -> its coordinates' text.
bool ParsePoint(std::string_view text, std::string_view* x, std::string_view* y);
// OGC WKB of a 2D point, little-endian (as Debezium's Point.wkb).
std::string PointWkb(double x, double y);
// Every number in a geometric type's text form, in order ("((0,0),(1,1))" -> 0 0 1 1).
bool ParseNumbers(std::string_view text, std::vector<double>* out);
// OGC WKB, little-endian: a LineString, or a Polygon of one ring (closed here if open).
std::string LineStringWkb(const std::vector<double>& xy);
std::string PolygonWkb(std::vector<double> xy);

// A decimal number as digits and scale, for Connect's Decimal (unscaled two's complement).
struct DecimalParts {
  bool negative = false;
  std::string digits;  // integer and fraction digits, no sign or point
  int scale = 0;       // fraction digits in `digits`
};
bool ParseDecimal(std::string_view text, DecimalParts* out);
// Pads to `target` fraction digits, or drops zeros down to it (only zeros may be dropped);
// target < 0 strips all trailing fraction zeros.
bool Rescale(DecimalParts* parts, int target);
// BigDecimal.setScale(target, RoundingMode.HALF_UP): pads, or rounds half away from zero.
void RoundHalfUp(DecimalParts* parts, int target);
// Java BigInteger.toByteArray() of the unscaled value: minimal big-endian two's complement.
std::string UnscaledBytes(const DecimalParts& parts);
// money text ("$1,234.56", "-$1,234.56", "($1,234.56)") -> plain decimal ("-1234.56").
std::string MoneyToPlain(std::string_view text);

// Java's ISO-8601 instant in UTC as Debezium prints it: "2016-11-04T11:51:30.123456Z" with
// exactly `frac_digits` fraction digits; years past 9999 get '+', years before 0 a '-'.
void AppendIsoInstant(std::string* out, int64_t unix_micros, int frac_digits);
// The date part of AppendIsoInstant for days since the epoch: "2017-09-15", "+21016-11-04".
void AppendIsoDate(std::string* out, int64_t days);
// "HH:MM:SS" plus a fraction of `frac_digits` digits, or with trailing zeros stripped (none when
// zero) for the default -1.
void AppendClock(std::string* out, int64_t micros_of_day, int frac_digits = -1);
// A fraction of `digits` digits, or trailing zeros stripped when digits < 0.
void AppendFraction(std::string* out, int64_t micros, int digits);

}  // namespace cdc::pgtext
