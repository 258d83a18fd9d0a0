#pragma once

// Expansion of ${...} references inside a libpq connection string (source.dsn), so that a value
// from the environment or a secret file stands for exactly itself, whatever characters it holds
// (https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-CONNSTRING):
//
//   keyword/value form   password=${X}      -> password='<X, with \ and ' escaped>'
//                        password='${X}'    -> the value escaped in place, no extra quotes
//                        password=a${X}b    -> the value with \, ' and spaces backslash-escaped
//                        ${X} in place of a keyword (e.g. the whole string) -> inserted as it is:
//                        it is connection-string text itself
//   URI form             postgresql://u:${X}@h/db -> the value percent-encoded
//
// The expanded string is then checked with libpq's own tokenising rules, and the values of its
// `password` and `sslpassword` keywords (and the password of a URI) are reported as secrets.
// Errors never contain any part of a value: only keywords libpq knows and positions by pair.
// Control-plane code: throws ConfigError. Any thread; no shared state.

#include <string>
#include <vector>

namespace cdc::config {

// Expands `tmpl`, the value of config key `key`. Every password found in the result (also in the
// quoted or percent-encoded form it takes in the string) is registered with AddSecret
// (config/redact.h), before any error is thrown, and appended to `secrets` unless it is null.
// Throws ConfigError naming `key`.
std::string ExpandConninfo(const std::string& tmpl, const std::string& key,
                           std::vector<std::string>* secrets = nullptr);

// The user or password of a URL's userinfo with %XX escapes decoded ("%40" -> "@"); anything
// else is kept as written. Used by every URL-valued key (sinks, the schema registry).
std::string PercentDecode(const std::string& s);

// `value` as a single-quoted libpq conninfo value: '...' with \ and ' backslash-escaped.
std::string QuoteConninfoValue(const std::string& value);

}  // namespace cdc::config
