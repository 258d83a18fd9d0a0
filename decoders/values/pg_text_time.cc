// Dates, times, timestamps and intervals in their text forms: the ISO output of DateStyle=ISO,
// IntervalStyle=postgres under TimeZone=UTC (pgcdc pins them), parsed and reprinted exactly.

#include <cstdio>
#include <cstring>
#include <vector>

#include "decoders/values/pg_text.h"

namespace cdc::pgtext {

namespace {

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

// printf("%0*lld", width, v) without printf: on the hot path of every timestamp.
void AppendPadded(std::string* out, int64_t v, int width) {
  char buf[24];
  uint64_t u = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  size_t n = 0;
  do {
    buf[sizeof(buf) - 1 - n++] = static_cast<char>('0' + u % 10);
    u /= 10;
  } while (u != 0);
  if (v < 0) {
    out->push_back('-');
    --width;  // the sign counts towards the width, as with printf
  }
  for (int i = static_cast<int>(n); i < width; ++i) out->push_back('0');
  out->append(buf + sizeof(buf) - n, n);
}

}  // namespace

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

void AppendFraction(std::string* out, int64_t micros, int digits) {
  char buf[8] = {};
  if (micros >= 0 && micros < 1000000) {
    for (int i = 5; i >= 0; --i) {
      buf[i] = static_cast<char>('0' + micros % 10);
      micros /= 10;
    }
  } else {
    std::snprintf(buf, sizeof(buf), "%06lld", static_cast<long long>(micros));
  }
  int n = digits > 6 ? 6 : digits;  // never more digits than the buffer holds
  if (digits < 0) {
    n = 6;
    while (n > 0 && buf[n - 1] == '0') --n;
  }
  if (n == 0) return;
  out->push_back('.');
  out->append(buf, static_cast<size_t>(n));
}

void AppendIsoInstant(std::string* out, int64_t unix_micros, int frac_digits) {
  int64_t days = FloorDiv(unix_micros, kMicrosPerDay);
  // The remainder, not unix_micros - days * kMicrosPerDay: that product overflows for the
  // instants near the int64 limits (-infinity is rendered through here too).
  int64_t in_day = unix_micros % kMicrosPerDay;
  if (in_day < 0) in_day += kMicrosPerDay;
  AppendIsoDate(out, days);
  out->push_back('T');
  AppendClock(out, in_day, frac_digits);
  out->push_back('Z');
}

void AppendIsoDate(std::string* out, int64_t days) {
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
}

namespace {

// Appends digits at s[*i] to *n; false on overflow of int64.
bool ReadBigNumber(std::string_view s, size_t* i, int64_t* n) {
  *n = 0;
  while (*i < s.size() && IsDigit(s[*i])) {
    if (__builtin_mul_overflow(*n, 10, n) || __builtin_add_overflow(*n, s[*i] - '0', n)) {
      return false;
    }
    ++*i;
  }
  return true;
}

}  // namespace

bool ParseInterval(std::string_view s, int64_t* months, int64_t* days, int64_t* micros) {
  *months = *days = *micros = 0;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    if (i >= s.size()) break;
    int sign = 1;
    if (s[i] == '-' || s[i] == '+') {
      sign = s[i] == '-' ? -1 : 1;
      ++i;
    }
    size_t num_start = i;
    int64_t n = 0;
    if (!ReadBigNumber(s, &i, &n) || i == num_start) return false;
    if (i < s.size() && s[i] == ':') {  // clock part
      i = num_start;
      // Hours may exceed two digits in an interval.
      int64_t h = 0;
      if (!ReadBigNumber(s, &i, &h) || h > 2'562'047'788) return false;  // PostgreSQL's limit
      int64_t m, sec, frac;
      if (!Expect(s, &i, ':') || !ReadDigits(s, &i, 2, 2, &m) || !Expect(s, &i, ':') ||
          !ReadDigits(s, &i, 2, 2, &sec) || !ReadFraction(s, &i, &frac)) {
        return false;
      }
      int64_t clock;
      if (__builtin_mul_overflow(h * 3600 + m * 60 + sec, kMicrosPerSecond, &clock) ||
          __builtin_add_overflow(clock, frac, &clock) ||
          __builtin_add_overflow(*micros, sign * clock, micros)) {
        return false;
      }
      continue;
    }
    if (!Expect(s, &i, ' ')) return false;
    size_t unit_start = i;
    while (i < s.size() && s[i] != ' ') ++i;
    std::string_view unit = s.substr(unit_start, i - unit_start);
    // Every accumulation is checked: these bytes come from the network.
    int64_t amount = sign * n;
    if (unit == "year" || unit == "years") {
      if (__builtin_mul_overflow(amount, 12, &amount) ||
          __builtin_add_overflow(*months, amount, months)) {
        return false;
      }
    } else if (unit == "mon" || unit == "mons") {
      if (__builtin_add_overflow(*months, amount, months)) return false;
    } else if (unit == "day" || unit == "days") {
      if (__builtin_add_overflow(*days, amount, days)) return false;
    } else {
      return false;
    }
  }
  return true;
}

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool ParseTimestamp(std::string_view text, int64_t* unix_micros, bool* has_offset) {
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
  if (y > 294277) return false;  // past PostgreSQL's timestamp range: would overflow int64 micros
  if (bc) y = 1 - y;
  int64_t days = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  int64_t micros;
  if (__builtin_mul_overflow(days, kMicrosPerDay, &micros) ||
      __builtin_add_overflow(micros, clock - offset * kMicrosPerSecond, &micros)) {
    return false;  // the very end of PostgreSQL's range does not fit Unix micros in int64
  }
  *unix_micros = micros;
  return true;
}

bool ParseDate(std::string_view text, int64_t* days) {
  std::string_view s = text;
  bool bc = StripBc(&s);
  size_t i = 0;
  int64_t y, mo, d;
  if (!ReadDate(s, &i, &y, &mo, &d) || i != s.size()) return false;
  if (bc) y = 1 - y;
  *days = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  return true;
}

bool ParseTime(std::string_view text, int64_t* micros) {
  size_t i = 0;
  return ReadClock(text, &i, micros) && i == text.size();
}

bool ParseTimeTz(std::string_view text, int64_t* utc_micros) {
  size_t i = 0;
  int64_t micros, offset;
  if (!ReadClock(text, &i, &micros) || !ReadOffset(text, &i, &offset) || i != text.size()) {
    return false;
  }
  int64_t utc = micros - offset * kMicrosPerSecond;
  *utc_micros = ((utc % kMicrosPerDay) + kMicrosPerDay) % kMicrosPerDay;
  return true;
}

void AppendClock(std::string* out, int64_t micros_of_day, int frac_digits) {
  int64_t secs = micros_of_day / kMicrosPerSecond;
  AppendPadded(out, secs / 3600, 2);
  out->push_back(':');
  AppendPadded(out, (secs / 60) % 60, 2);
  out->push_back(':');
  AppendPadded(out, secs % 60, 2);
  AppendFraction(out, micros_of_day % kMicrosPerSecond, frac_digits);
}

}  // namespace cdc::pgtext
