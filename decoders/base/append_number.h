#pragma once

// Decimal text of an integer appended to a string, without a locale or a temporary: for the
// JSON encoder's hand-written members and pg_binary's text forms.

#include <charconv>
#include <cstdint>
#include <string>

namespace cdc {

inline void AppendInt(std::string* out, int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, static_cast<size_t>(r.ptr - buf));
}

inline void AppendUInt(std::string* out, uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, static_cast<size_t>(r.ptr - buf));
}

}  // namespace cdc
