#include "sinks/printable_key.h"

namespace cdc::sinks {

namespace {

constexpr size_t kLogKeyBytes = 200;

// The length of the valid UTF-8 sequence of a printable character at s[i], or 0.
size_t TextCharLength(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return c >= 0x20 && c != 0x7F ? 1 : 0;
  const size_t n = (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  }
  return n;
}

}  // namespace

std::string PrintableBytes(std::string_view bytes, size_t max_bytes, bool* cut) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(bytes.size() < max_bytes ? bytes.size() : max_bytes);
  size_t i = 0;
  while (i < bytes.size()) {
    const size_t n = TextCharLength(bytes, i);
    if (i + (n == 0 ? 1 : n) > max_bytes) break;
    if (n == 0) {
      const auto c = static_cast<unsigned char>(bytes[i]);
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
      ++i;
    } else {
      out.append(bytes.substr(i, n));
      i += n;
    }
  }
  if (cut != nullptr) *cut = i < bytes.size();
  return out;
}

std::optional<size_t> TextChars(std::string_view s) {
  size_t chars = 0;
  for (size_t i = 0; i < s.size(); ++chars) {
    const size_t n = TextCharLength(s, i);
    if (n == 0) return std::nullopt;
    i += n;
  }
  return chars;
}

std::string PrintableKey(std::string_view key) {
  bool cut = false;
  std::string out = PrintableBytes(key, kLogKeyBytes, &cut);
  if (cut) out += "...";
  return out;
}

}  // namespace cdc::sinks
