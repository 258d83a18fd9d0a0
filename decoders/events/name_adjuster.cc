#include "decoders/events/name_adjuster.h"

#include <cstdint>

namespace cdc {

namespace {

// First code units of the Unicode decimal-digit (Nd) runs in the BMP, ten digits each: Java's
// Character.isDigit(char) for the kAvro leading-digit rule.
constexpr uint16_t kDigitRuns[] = {0x0030, 0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6,
                                   0x0B66, 0x0BE6, 0x0C66, 0x0CE6, 0x0D66, 0x0DE6, 0x0E50, 0x0ED0,
                                   0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80,
                                   0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900,
                                   0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10};

bool JavaIsDigit(uint16_t c) {
  for (uint16_t start : kDigitRuns) {
    if (c >= start && c < start + 10) return true;
  }
  return false;
}

bool IsAsciiLetter(uint16_t c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsAsciiDigit(uint16_t c) { return c >= '0' && c <= '9'; }

// One ReplacementFunction of Debezium's.
struct Rules {
  bool unicode;     // UnicodeReplacementFunction: '_' is not valid, replacements are _uXXXX
  bool field_name;  // Field*ReplacementFunction: '.' is not valid after the first character
};

bool ValidFirst(uint16_t c, const Rules& r) { return IsAsciiLetter(c) || (!r.unicode && c == '_'); }

bool ValidNonFirst(uint16_t c, const Rules& r) {
  return ValidFirst(c, r) || IsAsciiDigit(c) || (!r.field_name && c == '.');
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// UnicodeReplacementFunction.replace: "_u" + Integer.toHexString(c), "00" in front when that
// has at most two digits.
void AppendUnicodeEscape(uint16_t c, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (uint32_t v = c; v != 0 || hex.empty(); v >>= 4) hex.insert(hex.begin(), kHex[v & 0xF]);
  out->append("_u");
  if (hex.size() <= 2) out->append("00");
  out->append(hex);
}

// Decodes UTF-8 into UTF-16 units, as the JDBC driver hands Debezium the names. A byte that does
// not start a well-formed sequence stands for itself (PostgreSQL validates the encoding of
// identifiers, so this is only a bound, not a case that occurs).
size_t NextUnits(std::string_view s, size_t i, uint16_t units[2], size_t* count) {
  const auto b = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  const auto cont = [&](size_t k) { return k < s.size() && (b(k) & 0xC0) == 0x80; };
  uint8_t c = b(i);
  uint32_t cp = c;
  size_t len = 1;
  if (c >= 0xC2 && c <= 0xDF && cont(i + 1)) {
    cp = ((c & 0x1Fu) << 6) | (b(i + 1) & 0x3Fu);
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF && cont(i + 1) && cont(i + 2)) {
    cp = ((c & 0x0Fu) << 12) | ((b(i + 1) & 0x3Fu) << 6) | (b(i + 2) & 0x3Fu);
    len = 3;
    if (cp < 0x800) {  // overlong
      cp = c;
      len = 1;
    }
  } else if (c >= 0xF0 && c <= 0xF4 && cont(i + 1) && cont(i + 2) && cont(i + 3)) {
    cp = ((c & 0x07u) << 18) | ((b(i + 1) & 0x3Fu) << 12) | ((b(i + 2) & 0x3Fu) << 6) |
         (b(i + 3) & 0x3Fu);
    len = 4;
    if (cp < 0x10000 || cp > 0x10FFFF) {  // overlong or out of range
      cp = c;
      len = 1;
    }
  }
  if (cp >= 0x10000) {
    cp -= 0x10000;
    units[0] = static_cast<uint16_t>(0xD800 + (cp >> 10));
    units[1] = static_cast<uint16_t>(0xDC00 + (cp & 0x3FF));
    *count = 2;
  } else {
    units[0] = static_cast<uint16_t>(cp);
    *count = 1;
  }
  return len;
}

// SchemaNameAdjuster.validFullname.
std::string ValidFullname(std::string_view name, const Rules& r) {
  std::string out;
  out.reserve(name.size() + 8);
  bool changed = false;
  bool first = true;
  for (size_t i = 0; i < name.size();) {
    uint16_t units[2];
    size_t count = 0;
    const size_t len = NextUnits(name, i, units, &count);
    for (size_t u = 0; u < count; ++u) {
      const uint16_t c = units[u];
      const bool valid = first ? ValidFirst(c, r) : ValidNonFirst(c, r);
      if (valid) {
        // Valid units are ASCII, so the input bytes are the output bytes.
        out.push_back(static_cast<char>(c));
      } else {
        changed = true;
        if (r.unicode) {
          AppendUnicodeEscape(c, &out);
        } else {
          out.push_back('_');
          // DBZ-6559: a leading digit is kept behind the '_' (underscore replacement only).
          if (first && JavaIsDigit(c)) AppendUtf8(c, &out);
        }
      }
      first = false;
    }
    i += len;
  }
  return changed ? out : std::string(name);
}

}  // namespace

std::string AdjustSchemaName(std::string_view name, NameAdjustment mode) {
  if (mode == NameAdjustment::kNone) return std::string(name);
  return ValidFullname(name, Rules{mode == NameAdjustment::kAvroUnicode, false});
}

std::string AdjustFieldName(std::string_view name, NameAdjustment mode) {
  if (mode == NameAdjustment::kNone) return std::string(name);
  return ValidFullname(name, Rules{mode == NameAdjustment::kAvroUnicode, true});
}

}  // namespace cdc
