#include "decoders/base64.h"

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

}  // namespace cdc
