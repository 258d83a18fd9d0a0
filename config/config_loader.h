#pragma once

// Loads and validates a YAML configuration. This is the control-plane boundary: errors are
// thrown as ConfigError with one line naming the key and the problem, e.g.
//   "source.dsn: required key is missing"
// Unknown keys, wrong types and out-of-range values are errors, never ignored.

#include <stdexcept>
#include <string>

#include "config/config.h"

namespace cdc::config {

class ConfigError : public std::runtime_error {
 public:
  // Printed as one line: control characters (from a broken or hostile file) appear escaped.
  explicit ConfigError(const std::string& what) : std::runtime_error(OneLine(what)) {}

 private:
  static std::string OneLine(const std::string& s);
};

// Reads `path`. Throws ConfigError.
Config LoadFile(const std::string& path);
// Parses YAML text (for tests and embedded defaults). Throws ConfigError.
Config LoadString(const std::string& yaml);

// Replaces ${NAME} with the environment variable NAME and ${file:PATH} with the content of PATH
// (one trailing newline dropped); an unset variable or unreadable file is an error naming it.
// `$$` is a literal '$'. Throws ConfigError.
std::string ExpandEnv(const std::string& value, const std::string& key);

// Glob match with '*' (any run of characters) used for table include patterns.
bool GlobMatch(const std::string& pattern, const std::string& text);

}  // namespace cdc::config
