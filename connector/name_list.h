#pragma once

// Start-up warnings that concern many tables are one line each, not one per table: a database
// with a thousand tables must not bury the log in a thousand identical warnings. They name the
// first few and the count; the full list goes to the debug level.

#include <cstddef>
#include <string>
#include <vector>

namespace cdc::connector {

// How many names a one-line summary shows, and up to how many tables get a line each.
inline constexpr size_t kNamesShown = 5;

// "a, b, c" or, past `shown` names, "a, b, c, d, e and 995 more".
inline std::string FirstNames(const std::vector<std::string>& names, size_t shown = kNamesShown) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < shown; ++i) {
    if (i) out += ", ";
    out += names[i];
  }
  if (names.size() > shown) out += " and " + std::to_string(names.size() - shown) + " more";
  return out;
}

// Every name, comma-separated (for the debug line that accompanies a summary).
inline std::string AllNames(const std::vector<std::string>& names) {
  return FirstNames(names, names.size());
}

}  // namespace cdc::connector
