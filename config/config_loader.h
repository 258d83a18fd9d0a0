#pragma once

// Loads and validates a YAML configuration. This is the control-plane boundary: errors are
// thrown as ConfigError with one line naming the key and the problem, e.g.
//   "source.dsn: required key is missing"
// Unknown keys, wrong types and out-of-range values are errors, never ignored.
// Loading registers the configuration's secrets (passwords in source.dsn, credential properties
// of sink.kafka, ${file:...} contents) with AddSecret (config/redact.h), so that nothing pgcdc
// prints afterwards can contain them; the registration stays for the life of the process.

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
// `$$` is a literal '$'. Throws ConfigError. (source.dsn is expanded by ExpandConninfo instead,
// which quotes what it inserts.)
std::string ExpandEnv(const std::string& value, const std::string& key);

// The value of one reference, `ref` being what stands between "${" and "}": NAME or file:PATH.
// The content of a file is a secret: it is registered with AddSecret (config/redact.h).
// Throws ConfigError naming `key`.
std::string ResolveReference(const std::string& ref, const std::string& key);

// Whether the librdkafka property `name` holds a credential (sasl.password, ssl.key.password,
// ssl.keystore.password, sasl.oauthbearer.client.secret, ssl.key.pem, ...). The loader registers
// such values with AddSecret.
bool IsSecretKafkaProperty(const std::string& name);

}  // namespace cdc::config
