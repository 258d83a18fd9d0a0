#include "decoders/values/pg_text.h"

#include <cstdio>
#include <cstring>
#include <vector>

namespace cdc::pgtext {

namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

bool ParseDecimal(std::string_view s, DecimalParts* out) {
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

void RoundHalfUp(DecimalParts* p, int target) {
  if (target < 0) target = 0;
  if (p->scale <= target) {
    Rescale(p, target);
    return;
  }
  // Leading zeros as needed so that at least one digit is kept ("5" at scale 2 is 0.05).
  const auto drop = static_cast<size_t>(p->scale - target);
  // Prepending by building a new string, not insert(0, ...): GCC 12's -Wrestrict misreads
  // insert at -O3 (a false "may overlap" in the Release build).
  if (p->digits.size() <= drop) {
    std::string padded(drop + 1 - p->digits.size(), '0');
    padded.append(p->digits);
    p->digits.swap(padded);
  }
  const size_t keep = p->digits.size() - drop;
  const bool up = p->digits[keep] >= '5';
  p->digits.erase(keep);  // not resize(): see the note above
  p->scale = target;
  if (up) {
    size_t i = p->digits.size();
    while (i > 0 && p->digits[i - 1] == '9') p->digits[--i] = '0';
    if (i == 0) {
      std::string carried(1, '1');
      carried.append(p->digits);
      p->digits.swap(carried);
    } else {
      ++p->digits[i - 1];
    }
  }
  if (p->digits.empty()) p->digits.push_back('0');
}

std::string UnscaledBytes(const DecimalParts& p) {
  if (p.digits.size() <= 18) {
    // Fits an int64 (the common case: prices, amounts): two's complement, big-endian, minimal
    // length, with no allocation.
    int64_t v = 0;
    for (char c : p.digits) v = v * 10 + (c - '0');
    if (p.negative) v = -v;
    char buf[8];
    for (int i = 7; i >= 0; --i) {
      buf[i] = static_cast<char>(static_cast<uint64_t>(v) & 0xff);
      v >>= 8;  // arithmetic: keeps the sign
    }
    int first = 0;  // drop leading bytes that only repeat the sign
    while (first < 7 && ((buf[first] == 0 && (buf[first + 1] & 0x80) == 0) ||
                         (buf[first] == static_cast<char>(0xff) && (buf[first + 1] & 0x80) != 0))) {
      ++first;
    }
    return std::string(buf + first, static_cast<size_t>(8 - first));
  }
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

namespace {

// One element of an array literal starting at s[*i]: quoted (with backslash escapes) or bare.
bool ReadArrayElement(std::string_view s, size_t* i, char delim, std::optional<std::string>* out) {
  std::string v;
  if (*i < s.size() && s[*i] == '"') {
    ++*i;
    while (*i < s.size() && s[*i] != '"') {
      if (s[*i] == '\\') {
        ++*i;
        if (*i >= s.size()) return false;
      }
      v.push_back(s[(*i)++]);
    }
    if (*i >= s.size()) return false;
    ++*i;  // closing quote
    *out = std::move(v);
    return true;
  }
  size_t start = *i;
  while (*i < s.size() && s[*i] != delim && s[*i] != '}') ++*i;
  std::string_view bare = s.substr(start, *i - start);
  if (bare.empty()) return false;
  if (bare.size() == 4 && (bare[0] == 'N' || bare[0] == 'n') &&
      (bare == "NULL" || bare == "null")) {
    *out = std::nullopt;
  } else {
    *out = std::string(bare);
  }
  return true;
}

bool ReadArrayLevel(std::string_view s, size_t* i, char delim,
                    std::vector<std::optional<std::string>>* out, int depth) {
  if (depth > 6 || *i >= s.size() || s[*i] != '{') return false;  // PostgreSQL allows 6 dims
  ++*i;
  if (*i < s.size() && s[*i] == '}') {
    ++*i;
    return true;
  }
  for (;;) {
    if (*i < s.size() && s[*i] == '{') {
      if (!ReadArrayLevel(s, i, delim, out, depth + 1)) return false;
    } else {
      std::optional<std::string> e;
      if (!ReadArrayElement(s, i, delim, &e)) return false;
      out->push_back(std::move(e));
    }
    if (*i >= s.size()) return false;
    if (s[*i] == '}') {
      ++*i;
      return true;
    }
    if (s[*i] != delim) return false;
    ++*i;
  }
}

bool ReadHstoreString(std::string_view s, size_t* i, std::optional<std::string>* out) {
  if (*i < s.size() && s[*i] == '"') {
    std::optional<std::string> v;
    // Same quoting rules as array elements, with no delimiter.
    if (!ReadArrayElement(s, i, '\0', &v)) return false;
    *out = std::move(v);
    return true;
  }
  if (s.substr(*i, 4) == "NULL") {
    *i += 4;
    *out = std::nullopt;
    return true;
  }
  return false;
}

void PutLeDouble(std::string* out, double d) {
  uint64_t bits;
  std::memcpy(&bits, &d, sizeof(bits));
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
}

}  // namespace

bool ParseArray(std::string_view text, std::vector<std::optional<std::string>>* out,
                char delimiter) {
  out->clear();
  size_t i = 0;
  if (!text.empty() && text[0] == '[') {  // explicit bounds: "[0:1]={...}"
    size_t eq = text.find('=');
    if (eq == std::string_view::npos) return false;
    i = eq + 1;
  }
  return ReadArrayLevel(text, &i, delimiter, out, 1) && i == text.size();
}

bool ParseHstore(std::string_view s,
                 std::vector<std::pair<std::string, std::optional<std::string>>>* out) {
  out->clear();
  size_t i = 0;
  while (i < s.size()) {
    std::optional<std::string> key, value;
    if (!ReadHstoreString(s, &i, &key) || !key) return false;
    if (s.substr(i, 2) != "=>") return false;
    i += 2;
    if (!ReadHstoreString(s, &i, &value)) return false;
    out->emplace_back(std::move(*key), std::move(value));
    if (i == s.size()) break;
    if (s.substr(i, 2) != ", ") return false;
    i += 2;
  }
  return true;
}

bool BitsToBytes(std::string_view bits, std::string* out) {
  out->clear();
  for (size_t end = bits.size(); end > 0;) {
    size_t start = end >= 8 ? end - 8 : 0;
    unsigned byte = 0;
    for (size_t k = start; k < end; ++k) {
      if (bits[k] != '0' && bits[k] != '1') return false;
      byte = (byte << 1) | static_cast<unsigned>(bits[k] - '0');
    }
    out->push_back(static_cast<char>(byte));
    end = start;
  }
  while (!out->empty() && out->back() == 0) out->pop_back();
  return true;
}

bool ParsePoint(std::string_view text, std::string_view* x, std::string_view* y) {
  if (text.size() < 5 || text.front() != '(' || text.back() != ')') return false;
  std::string_view inner = text.substr(1, text.size() - 2);
  size_t comma = inner.find(',');
  if (comma == std::string_view::npos || comma == 0 || comma + 1 == inner.size()) return false;
  *x = inner.substr(0, comma);
  *y = inner.substr(comma + 1);
  return true;
}

std::string PointWkb(double x, double y) {
  std::string wkb;
  wkb.push_back(1);                   // little-endian
  const char type[4] = {1, 0, 0, 0};  // wkbPoint
  wkb.append(type, 4);
  PutLeDouble(&wkb, x);
  PutLeDouble(&wkb, y);
  return wkb;
}

bool ParseNumbers(std::string_view text, std::vector<double>* out) {
  out->clear();
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '(' || c == ')' || c == '[' || c == ']' || c == '<' || c == '>' || c == '{' ||
        c == '}' || c == ',' || c == ' ') {
      ++i;
      continue;
    }
    size_t start = i;
    while (i < text.size() && std::strchr("0123456789+-.eE", text[i]) != nullptr) ++i;
    if (start == i) return false;
    std::string num(text.substr(start, i - start));
    char* end = nullptr;
    double v = std::strtod(num.c_str(), &end);
    if (end != num.c_str() + num.size()) return false;
    out->push_back(v);
  }
  return true;
}

namespace {

void PutLeU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

}  // namespace

std::string LineStringWkb(const std::vector<double>& xy) {
  std::string wkb(1, 1);
  PutLeU32(&wkb, 2);
  PutLeU32(&wkb, static_cast<uint32_t>(xy.size() / 2));
  for (double d : xy) PutLeDouble(&wkb, d);
  return wkb;
}

std::string PolygonWkb(std::vector<double> xy) {
  if (xy.size() >= 2 && (xy[0] != xy[xy.size() - 2] || xy[1] != xy.back())) {
    xy.push_back(xy[0]);
    xy.push_back(xy[1]);
  }
  std::string wkb(1, 1);
  PutLeU32(&wkb, 3);
  PutLeU32(&wkb, 1);  // one ring
  PutLeU32(&wkb, static_cast<uint32_t>(xy.size() / 2));
  for (double d : xy) PutLeDouble(&wkb, d);
  return wkb;
}

}  // namespace cdc::pgtext
