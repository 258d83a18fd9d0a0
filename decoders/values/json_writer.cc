#include "decoders/values/json_writer.h"

#include <charconv>
#include <cstdint>
#include <cstring>

namespace cdc {

void JsonWriter::Int(int64_t v) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);
  Raw(std::string_view(buf, static_cast<size_t>(res.ptr - buf)));
}

void JsonWriter::UInt(uint64_t v) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);
  Raw(std::string_view(buf, static_cast<size_t>(res.ptr - buf)));
}

namespace {

// Index of the first byte of `s` at or after `i` that JSON requires escaped (a control byte,
// '"' or '\\'), or s.size(). Eight bytes at a time: text columns are mostly plain, and a 2 KB
// value scanned a byte at a time was a fifth of the snapshot's CPU. Bytes >= 0x80 (UTF-8) never
// match, as JSON passes them through.
size_t PlainRunEnd(std::string_view s, size_t i) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    // Each term has a byte's high bit set somewhere iff some byte is < 0x20, == '"', == '\\'
    // (exact as a whole; which byte may be off by a borrow, so the block is rescanned below).
    const uint64_t quote = w ^ (kOnes * '"');
    const uint64_t backslash = w ^ (kOnes * '\\');
    const uint64_t hit = ((w - kOnes * 0x20) | (quote - kOnes) | (backslash - kOnes)) & ~w & kHigh;
    // ~w clears bytes >= 0x80; ~quote / ~backslash equal ~w there, and for bytes < 0x80 the
    // xor keeps the high bit clear, so one mask serves all three terms.
    if (hit != 0) break;
  }
  for (; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == '"' || c == '\\') return i;
  }
  return i;
}

}  // namespace

void JsonWriter::AppendEscaped(std::string* out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  size_t run_start = 0;
  for (size_t i = PlainRunEnd(s, 0); i < s.size(); i = PlainRunEnd(s, run_start)) {
    const auto c = static_cast<unsigned char>(s[i]);
    out->append(s.data() + run_start, i - run_start);
    run_start = i + 1;
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      default: {
        char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
        out->append(esc, 6);
      }
    }
  }
  out->append(s.data() + run_start, s.size() - run_start);
}

}  // namespace cdc
