#include "decoders/value_converter.h"

#include <cstring>
#include <vector>

#include "decoders/base64.h"
#include "decoders/pg_type_oids.h"

namespace cdc {

namespace {

constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr int64_t kMicrosPerDay = 86'400 * kMicrosPerSecond;
// Debezium's MicroDuration counts a month as 365.25 / 12 days = 2,629,800 s.
constexpr int64_t kMicrosPerMonth = 2'629'800 * kMicrosPerSecond;
// pgjdbc's sentinels for timestamp ±infinity, which Debezium passes through.
constexpr int64_t kTimestampPosInfinity = 9223372036825200000LL;
constexpr int64_t kTimestampNegInfinity = -9223372036832400000LL;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Reads at least `min` and at most `max` digits into *v.
bool ReadDigits(std::string_view s, size_t* i, size_t min, size_t max, int64_t* v) {
  size_t start = *i;
  int64_t acc = 0;
  while (*i < s.size() && IsDigit(s[*i]) && *i - start < max) {
    acc = acc * 10 + (s[*i] - '0');
    ++*i;
  }
  if (*i - start < min) return false;
  *v = acc;
  return true;
}

bool Expect(std::string_view s, size_t* i, char c) {
  if (*i >= s.size() || s[*i] != c) return false;
  ++*i;
  return true;
}

// Fraction ".ffffff" (1..6 digits) as micros; absent fraction is 0.
bool ReadFraction(std::string_view s, size_t* i, int64_t* micros) {
  *micros = 0;
  if (*i >= s.size() || s[*i] != '.') return true;
  ++*i;
  size_t start = *i;
  int64_t v;
  if (!ReadDigits(s, i, 1, 6, &v)) return false;
  for (size_t n = *i - start; n < 6; ++n) v *= 10;
  *micros = v;
  return true;
}

// HH:MM:SS[.ffffff] as micros since midnight.
bool ReadClock(std::string_view s, size_t* i, int64_t* micros) {
  int64_t h, m, sec, frac;
  if (!ReadDigits(s, i, 2, 2, &h) || !Expect(s, i, ':') || !ReadDigits(s, i, 2, 2, &m) ||
      !Expect(s, i, ':') || !ReadDigits(s, i, 2, 2, &sec) || !ReadFraction(s, i, &frac)) {
    return false;
  }
  *micros = ((h * 60 + m) * 60 + sec) * kMicrosPerSecond + frac;
  return true;
}

// A UTC offset "+HH[:MM[:SS]]" as seconds east of UTC.
bool ReadOffset(std::string_view s, size_t* i, int64_t* seconds) {
  if (*i >= s.size() || (s[*i] != '+' && s[*i] != '-')) return false;
  int sign = s[*i] == '-' ? -1 : 1;
  ++*i;
  int64_t h, m = 0, sec = 0;
  if (!ReadDigits(s, i, 2, 2, &h)) return false;
  if (*i < s.size() && s[*i] == ':') {
    ++*i;
    if (!ReadDigits(s, i, 2, 2, &m)) return false;
    if (*i < s.size() && s[*i] == ':') {
      ++*i;
      if (!ReadDigits(s, i, 2, 2, &sec)) return false;
    }
  }
  *seconds = sign * (h * 3600 + m * 60 + sec);
  return true;
}

// YYYY-MM-DD (year may have more than four digits) as days since 1970-01-01, honouring a
// trailing " BC" found by the caller.
bool ReadDate(std::string_view s, size_t* i, int64_t* y, int64_t* mo, int64_t* d) {
  return ReadDigits(s, i, 4, 9, y) && Expect(s, i, '-') && ReadDigits(s, i, 2, 2, mo) &&
         Expect(s, i, '-') && ReadDigits(s, i, 2, 2, d) && *mo >= 1 && *mo <= 12 && *d >= 1 &&
         *d <= 31;
}

bool StripBc(std::string_view* s) {
  if (s->size() > 3 && s->substr(s->size() - 3) == " BC") {
    s->remove_suffix(3);
    return true;
  }
  return false;
}

// Civil date from days since epoch (Howard Hinnant's algorithm).
void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t yy = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = yy + (*m <= 2 ? 1 : 0);
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

void AppendPadded(std::string* out, int64_t v, int width) {
  char buf[24];
  int n = std::snprintf(buf, sizeof(buf), "%0*lld", width, static_cast<long long>(v));
  out->append(buf, static_cast<size_t>(n));
}

// Appends `micros` (0..999999) as a fraction of `digits` digits, or with trailing zeros stripped
// when digits < 0. Nothing is appended for 0 digits or a stripped zero.
void AppendFraction(std::string* out, int64_t micros, int digits) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "%06lld", static_cast<long long>(micros));
  int n = digits;
  if (digits < 0) {
    n = 6;
    while (n > 0 && buf[n - 1] == '0') --n;
  }
  if (n == 0) return;
  out->push_back('.');
  out->append(buf, static_cast<size_t>(n));
}

// Java's ISO-8601 rendering of an instant in UTC (as Debezium's ZonedTimestamp prints it):
// years beyond 9999 get a '+', years before 0 a '-'.
void AppendIsoInstant(std::string* out, int64_t unix_micros, int frac_digits) {
  int64_t days = FloorDiv(unix_micros, kMicrosPerDay);
  int64_t in_day = unix_micros - days * kMicrosPerDay;
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  if (y > 9999) out->push_back('+');
  if (y < 0) {
    out->push_back('-');
    AppendPadded(out, -y, 4);
  } else {
    AppendPadded(out, y, 4);
  }
  out->push_back('-');
  AppendPadded(out, m, 2);
  out->push_back('-');
  AppendPadded(out, d, 2);
  out->push_back('T');
  int64_t secs = in_day / kMicrosPerSecond;
  AppendPadded(out, secs / 3600, 2);
  out->push_back(':');
  AppendPadded(out, (secs / 60) % 60, 2);
  out->push_back(':');
  AppendPadded(out, secs % 60, 2);
  AppendFraction(out, in_day % kMicrosPerSecond, frac_digits);
  out->push_back('Z');
}

// ---- numeric -> unscaled two's-complement bytes (Java BigInteger.toByteArray) ----

struct DecimalParts {
  bool negative = false;
  std::string digits;  // integer and fraction digits concatenated, no sign or point
  int scale = 0;       // number of fraction digits in `digits`
};

bool ParseDecimalText(std::string_view s, DecimalParts* out) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) out->negative = s[i++] == '-';
  size_t int_start = i;
  while (i < s.size() && IsDigit(s[i])) ++i;
  out->digits.assign(s.substr(int_start, i - int_start));
  bool any = i > int_start;
  if (i < s.size() && s[i] == '.') {
    ++i;
    size_t frac_start = i;
    while (i < s.size() && IsDigit(s[i])) ++i;
    out->digits.append(s.substr(frac_start, i - frac_start));
    out->scale = static_cast<int>(i - frac_start);
    any = any || out->scale > 0;
  }
  return any && i == s.size();
}

// Rescales to `target` fraction digits (padding zeros; only zeros may be dropped). target < 0
// strips trailing fraction zeros.
bool Rescale(DecimalParts* p, int target) {
  if (target < 0) {
    while (p->scale > 0 && p->digits.back() == '0') {
      p->digits.pop_back();
      --p->scale;
    }
    return true;
  }
  while (p->scale > target) {
    if (p->digits.back() != '0') return false;
    p->digits.pop_back();
    --p->scale;
  }
  p->digits.append(static_cast<size_t>(target - p->scale), '0');
  p->scale = target;
  return true;
}

std::string UnscaledBytes(const DecimalParts& p) {
  // Magnitude in base 256, little-endian.
  std::vector<uint8_t> mag;
  for (char c : p.digits) {
    uint32_t carry = static_cast<uint32_t>(c - '0');
    for (auto& b : mag) {
      uint32_t v = b * 10u + carry;
      b = static_cast<uint8_t>(v & 0xff);
      carry = v >> 8;
    }
    while (carry) {
      mag.push_back(static_cast<uint8_t>(carry & 0xff));
      carry >>= 8;
    }
  }
  while (!mag.empty() && mag.back() == 0) mag.pop_back();
  bool negative = p.negative && !mag.empty();
  mag.push_back(0);  // room for the sign bit
  if (negative) {
    uint32_t carry = 1;
    for (auto& b : mag) {
      uint32_t v = static_cast<uint8_t>(~b) + carry;
      b = static_cast<uint8_t>(v & 0xff);
      carry = v >> 8;
    }
  }
  // Drop redundant sign bytes, keeping at least one.
  uint8_t fill = negative ? 0xff : 0x00;
  while (mag.size() > 1 && mag.back() == fill && ((mag[mag.size() - 2] & 0x80) == (fill & 0x80))) {
    mag.pop_back();
  }
  return std::string(mag.rbegin(), mag.rend());
}

bool IsNumericSpecial(std::string_view t) {
  return t == "NaN" || t == "Infinity" || t == "-Infinity";
}

Status AppendDecimalBytes(std::string_view text, int scale, JsonWriter& w, std::string* scratch) {
  DecimalParts p;
  if (!ParseDecimalText(text, &p) || !Rescale(&p, scale)) {
    return Status::InvalidArgument("numeric value '" + std::string(text) +
                                   "' does not fit scale " + std::to_string(scale));
  }
  scratch->clear();
  AppendBase64(scratch, UnscaledBytes(p));
  w.String(*scratch);
  return Status::Ok();
}

// "$1,234.56", "-$1,234.56" or "($1,234.56)" -> "-1234.56".
std::string MoneyToPlain(std::string_view text) {
  std::string out;
  bool negative = false;
  for (char c : text) {
    if (c == '-' || c == '(') negative = true;
    if (IsDigit(c) || c == '.') out.push_back(c);
  }
  if (negative) out.insert(out.begin(), '-');
  return out;
}

bool DecodeByteaHex(std::string_view text, std::string* out) {
  if (text.size() < 2 || text[0] != '\\' || text[1] != 'x' || text.size() % 2 != 0) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  out->clear();
  out->reserve((text.size() - 2) / 2);
  for (size_t i = 2; i < text.size(); i += 2) {
    int hi = nibble(text[i]), lo = nibble(text[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>((hi << 4) | lo));
  }
  return true;
}

void AppendBinary(BinaryHandling mode, std::string_view bytes, JsonWriter& w, std::string* scratch) {
  scratch->clear();
  switch (mode) {
    case BinaryHandling::kBytes:
    case BinaryHandling::kBase64: AppendBase64(scratch, bytes); break;
    case BinaryHandling::kBase64UrlSafe: AppendBase64(scratch, bytes, true); break;
    case BinaryHandling::kHex: AppendHex(scratch, bytes); break;
  }
  w.String(*scratch);
}

bool IsJsonNumber(std::string_view t) {
  if (t.empty()) return false;
  for (char c : t) {
    if (!(IsDigit(c) || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E')) return false;
  }
  return IsDigit(t.back());
}

bool IsInteger(std::string_view t) {
  size_t i = (!t.empty() && t[0] == '-') ? 1 : 0;
  if (i == t.size()) return false;
  for (; i < t.size(); ++i) {
    if (!IsDigit(t[i])) return false;
  }
  return true;
}

// PostgreSQL's "postgres" IntervalStyle: "1 year 2 mons -3 days 04:05:06.78".
bool ParseInterval(std::string_view s, int64_t* months, int64_t* days, int64_t* micros) {
  *months = *days = *micros = 0;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    if (i >= s.size()) break;
    int sign = 1;
    size_t tok = i;
    if (s[i] == '-' || s[i] == '+') {
      sign = s[i] == '-' ? -1 : 1;
      ++i;
    }
    size_t num_start = i;
    int64_t n = 0;
    while (i < s.size() && IsDigit(s[i])) n = n * 10 + (s[i++] - '0');
    if (i == num_start) return false;
    if (i < s.size() && s[i] == ':') {  // clock part
      i = num_start;
      // Hours may exceed two digits in an interval.
      int64_t h = 0;
      while (i < s.size() && IsDigit(s[i])) h = h * 10 + (s[i++] - '0');
      int64_t m, sec, frac;
      if (!Expect(s, &i, ':') || !ReadDigits(s, &i, 2, 2, &m) || !Expect(s, &i, ':') ||
          !ReadDigits(s, &i, 2, 2, &sec) || !ReadFraction(s, &i, &frac)) {
        return false;
      }
      *micros += sign * (((h * 60 + m) * 60 + sec) * kMicrosPerSecond + frac);
      (void)tok;
      continue;
    }
    if (!Expect(s, &i, ' ')) return false;
    size_t unit_start = i;
    while (i < s.size() && s[i] != ' ') ++i;
    std::string_view unit = s.substr(unit_start, i - unit_start);
    if (unit == "year" || unit == "years") {
      *months += sign * n * 12;
    } else if (unit == "mon" || unit == "mons") {
      *months += sign * n;
    } else if (unit == "day" || unit == "days") {
      *days += sign * n;
    } else {
      return false;
    }
  }
  return true;
}

Status Unparseable(std::string_view type, std::string_view text) {
  std::string shown(text.substr(0, 64));
  return Status::InvalidArgument("cannot parse " + std::string(type) + " value '" + shown + "'");
}

}  // namespace

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool ParseTimestampText(std::string_view text, int64_t* unix_micros, bool* has_offset) {
  bool bc = StripBc(&text);
  size_t i = 0;
  int64_t y, mo, d, clock, offset = 0;
  if (!ReadDate(text, &i, &y, &mo, &d) || !Expect(text, &i, ' ') || !ReadClock(text, &i, &clock)) {
    return false;
  }
  *has_offset = false;
  if (i < text.size()) {
    if (!ReadOffset(text, &i, &offset)) return false;
    *has_offset = true;
  }
  if (i != text.size()) return false;
  if (bc) y = 1 - y;
  int64_t days = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  *unix_micros = days * kMicrosPerDay + clock - offset * kMicrosPerSecond;
  return true;
}

ColumnCodec CodecFor(uint32_t type_oid, int32_t typmod, const ConverterOptions& o) {
  ColumnCodec c;
  // For time/timestamp types atttypmod is the fractional precision; -1 means the default 6.
  const int time_precision = typmod < 0 ? 6 : typmod;
  const bool connect = o.time_precision == TimePrecision::kConnect;
  switch (type_oid) {
    case pgtype::kBool: c.type = ValueType::kBool; break;
    case pgtype::kInt2: c.type = ValueType::kInt16; break;
    case pgtype::kInt4: c.type = ValueType::kInt32; break;
    case pgtype::kInt8:
    case pgtype::kOid: c.type = ValueType::kInt64; break;
    case pgtype::kFloat4: c.type = ValueType::kFloat32; break;
    case pgtype::kFloat8: c.type = ValueType::kFloat64; break;
    case pgtype::kNumeric:
      if (o.decimal == DecimalHandling::kDouble) {
        c.type = ValueType::kDecimalDouble;
      } else if (o.decimal == DecimalHandling::kString) {
        c.type = ValueType::kDecimalString;
      } else if (typmod >= 4) {
        c.type = ValueType::kDecimal;
        c.scale = (typmod - 4) & 0xffff;
        c.precision = ((typmod - 4) >> 16) & 0xffff;
      } else {
        c.type = ValueType::kVariableDecimal;
      }
      break;
    case pgtype::kMoney:
      c.type = o.decimal == DecimalHandling::kPrecise  ? ValueType::kMoney
               : o.decimal == DecimalHandling::kDouble ? ValueType::kDecimalDouble
                                                       : ValueType::kDecimalString;
      c.scale = 2;
      c.precision = -1;  // marks money for the double/string renderings
      break;
    case pgtype::kChar:
    case pgtype::kName:
    case pgtype::kText:
    case pgtype::kBpchar:
    case pgtype::kVarchar:
    case pgtype::kInet:
    case pgtype::kCidr:
    case pgtype::kMacaddr:
    case pgtype::kMacaddr8: c.type = ValueType::kString; break;
    case pgtype::kUuid: c.type = ValueType::kUuid; break;
    case pgtype::kJson:
    case pgtype::kJsonb: c.type = ValueType::kJson; break;
    case pgtype::kXml: c.type = ValueType::kXml; break;
    case pgtype::kBytea:
      c.type = ValueType::kBytes;
      c.binary = o.binary;
      break;
    case pgtype::kDate: c.type = connect ? ValueType::kConnectDate : ValueType::kDate; break;
    case pgtype::kTime:
      if (connect) {
        c.type = ValueType::kConnectTime;
      } else if (o.time_precision == TimePrecision::kAdaptiveTimeMicroseconds ||
                 time_precision > 3) {
        c.type = ValueType::kTimeMicros;
      } else {
        c.type = ValueType::kTimeMillis;
      }
      break;
    case pgtype::kTimetz: c.type = ValueType::kTimeTz; break;
    case pgtype::kTimestamp:
      c.type = connect                ? ValueType::kConnectTimestamp
               : time_precision <= 3 ? ValueType::kTimestampMillis
                                      : ValueType::kTimestampMicros;
      break;
    case pgtype::kTimestamptz:
      c.type = ValueType::kTimestampTz;
      c.frac_digits = time_precision;
      break;
    case pgtype::kInterval:
      c.type = o.interval == IntervalHandling::kString ? ValueType::kIntervalString
                                                       : ValueType::kIntervalMicros;
      break;
    default: c.type = ValueType::kUnmappedText; break;
  }
  return c;
}

std::string_view ConnectTypeOf(const ColumnCodec& c) {
  switch (c.type) {
    case ValueType::kBool: return "boolean";
    case ValueType::kInt16: return "int16";
    case ValueType::kInt32:
    case ValueType::kDate:
    case ValueType::kConnectDate:
    case ValueType::kTimeMillis:
    case ValueType::kConnectTime: return "int32";
    case ValueType::kInt64:
    case ValueType::kTimeMicros:
    case ValueType::kTimestampMillis:
    case ValueType::kTimestampMicros:
    case ValueType::kConnectTimestamp:
    case ValueType::kIntervalMicros: return "int64";
    case ValueType::kFloat32: return "float";
    case ValueType::kFloat64:
    case ValueType::kDecimalDouble: return "double";
    case ValueType::kDecimal:
    case ValueType::kMoney: return "bytes";
    case ValueType::kVariableDecimal: return "struct";
    case ValueType::kBytes: return c.binary == BinaryHandling::kBytes ? "bytes" : "string";
    default: return "string";
  }
}

void AppendSchemaFields(const ColumnCodec& c, JsonWriter& w) {
  if (c.type != ValueType::kVariableDecimal) return;
  w.Key("fields");
  w.Raw(R"([{"type":"int32","optional":false,"field":"scale"},)"
        R"({"type":"bytes","optional":false,"field":"value"}])");
}

void AppendSchemaSemantics(const ColumnCodec& c, JsonWriter& w) {
  auto named = [&w](std::string_view name) {
    w.Key("name");
    w.String(name);
    w.Key("version");
    w.Int(1);
  };
  switch (c.type) {
    case ValueType::kDecimal:
    case ValueType::kMoney:
      named("org.apache.kafka.connect.data.Decimal");
      w.Key("parameters");
      w.BeginObject();
      w.Key("scale");
      w.String(std::to_string(c.scale));
      if (c.type == ValueType::kDecimal && c.precision > 0) {
        w.Key("connect.decimal.precision");
        w.String(std::to_string(c.precision));
      }
      w.EndObject();
      break;
    case ValueType::kVariableDecimal:
      named("io.debezium.data.VariableScaleDecimal");
      w.Key("doc");
      w.String("Variable scaled decimal");
      break;
    case ValueType::kUuid: named("io.debezium.data.Uuid"); break;
    case ValueType::kJson: named("io.debezium.data.Json"); break;
    case ValueType::kXml: named("io.debezium.data.Xml"); break;
    case ValueType::kDate: named("io.debezium.time.Date"); break;
    case ValueType::kConnectDate: named("org.apache.kafka.connect.data.Date"); break;
    case ValueType::kTimeMillis: named("io.debezium.time.Time"); break;
    case ValueType::kTimeMicros: named("io.debezium.time.MicroTime"); break;
    case ValueType::kConnectTime: named("org.apache.kafka.connect.data.Time"); break;
    case ValueType::kTimeTz: named("io.debezium.time.ZonedTime"); break;
    case ValueType::kTimestampMillis: named("io.debezium.time.Timestamp"); break;
    case ValueType::kTimestampMicros: named("io.debezium.time.MicroTimestamp"); break;
    case ValueType::kConnectTimestamp: named("org.apache.kafka.connect.data.Timestamp"); break;
    case ValueType::kTimestampTz: named("io.debezium.time.ZonedTimestamp"); break;
    case ValueType::kIntervalMicros: named("io.debezium.time.MicroDuration"); break;
    case ValueType::kIntervalString: named("io.debezium.time.Interval"); break;
    default: break;
  }
}

Status AppendValue(const ColumnCodec& c, std::string_view t, JsonWriter& w) {
  thread_local std::string scratch;
  switch (c.type) {
    case ValueType::kBool:
      if (t == "t") {
        w.Bool(true);
      } else if (t == "f") {
        w.Bool(false);
      } else {
        return Unparseable("boolean", t);
      }
      return Status::Ok();
    case ValueType::kInt16:
    case ValueType::kInt32:
    case ValueType::kInt64:
      if (!IsInteger(t)) return Unparseable("integer", t);
      w.Raw(t);
      return Status::Ok();
    case ValueType::kFloat32:
    case ValueType::kFloat64:
      // Jackson writes non-finite doubles as strings; so do we.
      if (t == "NaN" || t == "Infinity" || t == "-Infinity") {
        w.String(t);
      } else if (IsJsonNumber(t)) {
        w.Raw(t);
      } else {
        return Unparseable("float", t);
      }
      return Status::Ok();
    case ValueType::kDecimal:
      if (IsNumericSpecial(t)) {
        return Status::InvalidArgument("numeric " + std::string(t) +
                                       " cannot be represented with decimal_handling: precise; "
                                       "use format.decimal_handling: string or double");
      }
      return AppendDecimalBytes(t, c.scale, w, &scratch);
    case ValueType::kMoney:
      return AppendDecimalBytes(MoneyToPlain(t), c.scale, w, &scratch);
    case ValueType::kVariableDecimal: {
      if (IsNumericSpecial(t)) {
        return Status::InvalidArgument("numeric " + std::string(t) +
                                       " cannot be represented with decimal_handling: precise; "
                                       "use format.decimal_handling: string or double");
      }
      DecimalParts p;
      if (!ParseDecimalText(t, &p)) return Unparseable("numeric", t);
      Rescale(&p, -1);
      w.BeginObject();
      w.Key("scale");
      w.Int(p.scale);
      w.Key("value");
      scratch.clear();
      AppendBase64(&scratch, UnscaledBytes(p));
      w.String(scratch);
      w.EndObject();
      return Status::Ok();
    }
    case ValueType::kDecimalDouble: {
      std::string plain = c.precision < 0 ? MoneyToPlain(t) : std::string(t);
      if (t == "NaN" || t == "Infinity" || t == "-Infinity") {
        w.String(t);
      } else if (IsJsonNumber(plain)) {
        w.Raw(plain);
      } else {
        return Unparseable("numeric", t);
      }
      return Status::Ok();
    }
    case ValueType::kDecimalString:
      if (t == "NaN") {
        w.String("NAN");
      } else if (t == "Infinity") {
        w.String("POSITIVE_INFINITY");
      } else if (t == "-Infinity") {
        w.String("NEGATIVE_INFINITY");
      } else {
        w.String(c.precision < 0 ? MoneyToPlain(t) : std::string(t));
      }
      return Status::Ok();
    case ValueType::kString:
    case ValueType::kUuid:
    case ValueType::kJson:
    case ValueType::kXml:
    case ValueType::kUnmappedText:
      w.String(t);
      return Status::Ok();
    case ValueType::kBytes: {
      std::string bytes;
      if (!DecodeByteaHex(t, &bytes)) return Unparseable("bytea (hex)", t);
      AppendBinary(c.binary, bytes, w, &scratch);
      return Status::Ok();
    }
    case ValueType::kDate:
    case ValueType::kConnectDate: {
      if (t == "infinity" || t == "-infinity") {
        w.Int(t[0] == '-' ? INT32_MIN : INT32_MAX);
        return Status::Ok();
      }
      std::string_view s = t;
      bool bc = StripBc(&s);
      size_t i = 0;
      int64_t y, mo, d;
      if (!ReadDate(s, &i, &y, &mo, &d) || i != s.size()) return Unparseable("date", t);
      if (bc) y = 1 - y;
      w.Int(DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)));
      return Status::Ok();
    }
    case ValueType::kTimeMillis:
    case ValueType::kTimeMicros:
    case ValueType::kConnectTime: {
      size_t i = 0;
      int64_t micros;
      if (!ReadClock(t, &i, &micros) || i != t.size()) return Unparseable("time", t);
      w.Int(c.type == ValueType::kTimeMicros ? micros : micros / 1000);
      return Status::Ok();
    }
    case ValueType::kTimeTz: {
      size_t i = 0;
      int64_t micros, offset;
      if (!ReadClock(t, &i, &micros) || !ReadOffset(t, &i, &offset) || i != t.size()) {
        return Unparseable("timetz", t);
      }
      int64_t utc = micros - offset * kMicrosPerSecond;
      utc = ((utc % kMicrosPerDay) + kMicrosPerDay) % kMicrosPerDay;
      scratch.clear();
      int64_t secs = utc / kMicrosPerSecond;
      AppendPadded(&scratch, secs / 3600, 2);
      scratch.push_back(':');
      AppendPadded(&scratch, (secs / 60) % 60, 2);
      scratch.push_back(':');
      AppendPadded(&scratch, secs % 60, 2);
      AppendFraction(&scratch, utc % kMicrosPerSecond, -1);
      scratch.push_back('Z');
      w.String(scratch);
      return Status::Ok();
    }
    case ValueType::kTimestampMillis:
    case ValueType::kTimestampMicros:
    case ValueType::kConnectTimestamp: {
      if (t == "infinity" || t == "-infinity") {
        w.Int(t[0] == '-' ? kTimestampNegInfinity : kTimestampPosInfinity);
        return Status::Ok();
      }
      int64_t micros;
      bool has_offset;
      if (!ParseTimestampText(t, &micros, &has_offset)) return Unparseable("timestamp", t);
      w.Int(c.type == ValueType::kTimestampMicros ? micros : FloorDiv(micros, 1000));
      return Status::Ok();
    }
    case ValueType::kTimestampTz: {
      if (t == "infinity" || t == "-infinity") {
        w.String(t);
        return Status::Ok();
      }
      int64_t micros;
      bool has_offset;
      if (!ParseTimestampText(t, &micros, &has_offset)) return Unparseable("timestamptz", t);
      scratch.clear();
      AppendIsoInstant(&scratch, micros, c.frac_digits);
      w.String(scratch);
      return Status::Ok();
    }
    case ValueType::kIntervalMicros:
    case ValueType::kIntervalString: {
      int64_t months, days, micros;
      if (!ParseInterval(t, &months, &days, &micros)) return Unparseable("interval", t);
      if (c.type == ValueType::kIntervalMicros) {
        w.Int(months * kMicrosPerMonth + days * kMicrosPerDay + micros);
        return Status::Ok();
      }
      scratch.clear();
      scratch += "P" + std::to_string(months / 12) + "Y" + std::to_string(months % 12) + "M" +
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
  }
  return Status::InvalidArgument("unhandled value type");
}

Status AppendUnavailable(const ColumnCodec& c, const ConverterOptions& o, JsonWriter& w) {
  switch (c.type) {
    case ValueType::kString:
    case ValueType::kJson:
    case ValueType::kXml:
    case ValueType::kUnmappedText:
    case ValueType::kDecimalString:
    case ValueType::kIntervalString:
      w.String(o.unavailable_placeholder);
      return Status::Ok();
    case ValueType::kBytes: {
      std::string scratch;
      AppendBinary(c.binary, o.unavailable_placeholder, w, &scratch);
      return Status::Ok();
    }
    default:
      return Status::InvalidArgument(
          "an unchanged TOAST value of a non-text column cannot be represented");
  }
}

void AppendZeroValue(const ColumnCodec& c, JsonWriter& w) {
  switch (c.type) {
    case ValueType::kBool: w.Bool(false); return;
    case ValueType::kFloat32:
    case ValueType::kFloat64:
    case ValueType::kDecimalDouble: w.Raw("0.0"); return;
    case ValueType::kDecimal:
    case ValueType::kMoney:
    case ValueType::kVariableDecimal:
      // Zero renders the same in every scale: a single 0x00 byte.
      (void)AppendValue(c, "0", w);
      return;
    case ValueType::kDecimalString: w.String("0"); return;
    case ValueType::kBytes: w.String(""); return;
    case ValueType::kTimeTz: w.String("00:00:00Z"); return;
    case ValueType::kTimestampTz: (void)AppendValue(c, "1970-01-01 00:00:00+00", w); return;
    case ValueType::kIntervalString: w.String("P0Y0M0DT0H0M0S"); return;
    case ValueType::kString:
    case ValueType::kUuid:
    case ValueType::kJson:
    case ValueType::kXml:
    case ValueType::kUnmappedText: w.String(""); return;
    default: w.Int(0); return;  // integers, dates, times, timestamps, numeric intervals
  }
}

}  // namespace cdc
