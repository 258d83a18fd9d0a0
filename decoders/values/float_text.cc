// PostgreSQL's float8out / float4out with extra_float_digits > 0 (pg_binary.h): the binary
// send format carries the IEEE bits, and the text form the renderers read is the one
// PostgreSQL prints, shortest round-trip digits laid out as its Ryu code lays them out.

#include <charconv>
#include <cmath>
#include <string>

#include "decoders/base/append_number.h"
#include "decoders/values/pg_binary.h"

namespace cdc::pgbinary {

namespace {

// Lays the shortest digits out as Ryu's to_chars in PostgreSQL's src/common/d2s.c and f2s.c:
// fixed-point for display exponents in [-4, fixed_limit), else d.ddde±XX.
template <typename F>
void AppendShortest(std::string* out, F v, int fixed_limit) {
  if (std::isnan(v)) {
    out->append("NaN");
    return;
  }
  if (std::isinf(v)) {
    out->append(v < 0 ? "-Infinity" : "Infinity");
    return;
  }
  if (v == 0) {
    out->append(std::signbit(v) ? "-0" : "0");
    return;
  }
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  std::string_view s(buf, static_cast<size_t>(res.ptr - buf));
  if (s.front() == '-') {
    out->push_back('-');
    s.remove_prefix(1);
  }
  const size_t e = s.find('e');
  std::string digits;
  for (char c : s.substr(0, e)) {
    if (c != '.') digits.push_back(c);
  }
  int exp = 0;
  std::from_chars(s.data() + e + (s[e + 1] == '+' ? 2 : 1), s.data() + s.size(), exp);
  const auto olength = static_cast<int>(digits.size());
  if (exp >= -4 && exp < fixed_limit) {
    if (exp < 0) {
      out->append("0.");
      out->append(static_cast<size_t>(-exp - 1), '0');
      out->append(digits);
    } else if (exp + 1 >= olength) {
      out->append(digits);
      out->append(static_cast<size_t>(exp + 1 - olength), '0');
    } else {
      out->append(digits, 0, static_cast<size_t>(exp + 1));
      out->push_back('.');
      out->append(digits, static_cast<size_t>(exp + 1));
    }
    return;
  }
  out->push_back(digits[0]);
  if (olength > 1) {
    out->push_back('.');
    out->append(digits, 1);
  }
  out->push_back('e');
  out->push_back(exp < 0 ? '-' : '+');
  const int a = exp < 0 ? -exp : exp;
  if (a < 10) out->push_back('0');
  AppendInt(out, a);
}

}  // namespace

void AppendFloat8Text(std::string* out, double v) { AppendShortest(out, v, 15); }
void AppendFloat4Text(std::string* out, float v) { AppendShortest(out, v, 6); }

}  // namespace cdc::pgbinary
