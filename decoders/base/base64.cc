#include "decoders/base/base64.h"

#include <cstdint>

namespace cdc {

void AppendBase64(std::string* out, std::string_view bytes, bool url_safe) {
  const char* alphabet = url_safe
                             ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                             : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  size_t n = bytes.size();
  out->reserve(out->size() + (n + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    uint32_t v = (uint32_t{p[i]} << 16) | (uint32_t{p[i + 1]} << 8) | p[i + 2];
    out->push_back(alphabet[(v >> 18) & 63]);
    out->push_back(alphabet[(v >> 12) & 63]);
    out->push_back(alphabet[(v >> 6) & 63]);
    out->push_back(alphabet[v & 63]);
  }
  if (n - i == 1) {
    uint32_t v = uint32_t{p[i]} << 16;
    out->push_back(alphabet[(v >> 18) & 63]);
    out->push_back(alphabet[(v >> 12) & 63]);
    out->append("==");
  } else if (n - i == 2) {
    uint32_t v = (uint32_t{p[i]} << 16) | (uint32_t{p[i + 1]} << 8);
    out->push_back(alphabet[(v >> 18) & 63]);
    out->push_back(alphabet[(v >> 12) & 63]);
    out->push_back(alphabet[(v >> 6) & 63]);
    out->push_back('=');
  }
}

void AppendHex(std::string* out, std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned char c : bytes) {
    out->push_back(kHex[c >> 4]);
    out->push_back(kHex[c & 15]);
  }
}

namespace {

// Nibble values of the 256 byte values; -1 for a byte that is not a hex digit.
struct NibbleTable {
  int8_t v[256];
  constexpr NibbleTable() : v() {
    for (int i = 0; i < 256; ++i) v[i] = -1;
    for (int i = 0; i < 10; ++i) v['0' + i] = static_cast<int8_t>(i);
    for (int i = 0; i < 6; ++i) {
      v['a' + i] = static_cast<int8_t>(10 + i);
      v['A' + i] = static_cast<int8_t>(10 + i);
    }
  }
};
constexpr NibbleTable kNibbles;

bool IsByteaHex(std::string_view text) {
  return text.size() >= 2 && text[0] == '\\' && text[1] == 'x' && text.size() % 2 == 0;
}

// The byte at hex digits text[i], text[i + 1], or -1.
int HexByte(const uint8_t* p, size_t i) {
  const int hi = kNibbles.v[p[i]], lo = kNibbles.v[p[i + 1]];
  return (hi | lo) < 0 ? -1 : (hi << 4) | lo;
}

}  // namespace

bool AppendBase64FromByteaHex(std::string* out, std::string_view text, bool url_safe) {
  if (!IsByteaHex(text)) return false;
  const char* alphabet = url_safe
                             ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                             : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const auto* p = reinterpret_cast<const uint8_t*>(text.data()) + 2;
  const size_t n = (text.size() - 2) / 2;  // bytes
  const size_t old = out->size();
  out->resize(old + (n + 2) / 3 * 4);
  char* d = out->data() + old;
  size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    const int b0 = HexByte(p, 2 * i), b1 = HexByte(p, 2 * i + 2), b2 = HexByte(p, 2 * i + 4);
    if ((b0 | b1 | b2) < 0) {
      out->resize(old);
      return false;
    }
    const uint32_t v = (static_cast<uint32_t>(b0) << 16) | (static_cast<uint32_t>(b1) << 8) |
                       static_cast<uint32_t>(b2);
    *d++ = alphabet[(v >> 18) & 63];
    *d++ = alphabet[(v >> 12) & 63];
    *d++ = alphabet[(v >> 6) & 63];
    *d++ = alphabet[v & 63];
  }
  if (i < n) {
    const int b0 = HexByte(p, 2 * i), b1 = i + 1 < n ? HexByte(p, 2 * i + 2) : 0;
    if ((b0 | b1) < 0) {
      out->resize(old);
      return false;
    }
    const uint32_t v = (static_cast<uint32_t>(b0) << 16) | (static_cast<uint32_t>(b1) << 8);
    *d++ = alphabet[(v >> 18) & 63];
    *d++ = alphabet[(v >> 12) & 63];
    *d++ = i + 1 < n ? alphabet[(v >> 6) & 63] : '=';
    *d++ = '=';
  }
  return true;
}

bool AppendHexFromByteaHex(std::string* out, std::string_view text) {
  if (!IsByteaHex(text)) return false;
  const size_t old = out->size();
  out->resize(old + text.size() - 2);
  char* d = out->data() + old;
  for (size_t i = 2; i < text.size(); ++i) {
    const int v = kNibbles.v[static_cast<uint8_t>(text[i])];
    if (v < 0) {
      out->resize(old);
      return false;
    }
    *d++ = "0123456789abcdef"[v];  // lower case, as AppendHex writes
  }
  return true;
}

bool AppendBase64Decoded(std::string* out, std::string_view text) {
  auto digit = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  if (text.size() % 4 != 0) return false;
  out->reserve(out->size() + text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    const int pad = last ? (text[i + 3] == '=') + (text[i + 2] == '=') : 0;
    uint32_t v = 0;
    for (size_t k = 0; k < 4; ++k) {
      int d = 0;
      if (k < 4 - static_cast<size_t>(pad)) {
        d = digit(text[i + k]);
        if (d < 0) return false;
      }
      v = (v << 6) | static_cast<uint32_t>(d);
    }
    out->push_back(static_cast<char>((v >> 16) & 0xff));
    if (pad < 2) out->push_back(static_cast<char>((v >> 8) & 0xff));
    if (pad < 1) out->push_back(static_cast<char>(v & 0xff));
  }
  return true;
}

}  // namespace cdc
