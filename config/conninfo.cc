#include "config/conninfo.h"

#include <algorithm>
#include <cctype>
#include <string_view>

#include "config/config_loader.h"
#include "config/redact.h"

namespace cdc::config {

namespace {

// libpq's conninfo_parse() uses isspace() in the C locale.
bool Space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

bool IsPasswordKeyword(const std::string& k) { return k == "password" || k == "sslpassword"; }

// Keywords that may be named in an error: a word that is not one of them may be a piece of a
// value the user forgot to quote (such as the rest of a password).
bool KnownKeyword(const std::string& k) {
  static const char* const kKeywords[] = {"host",
                                          "hostaddr",
                                          "port",
                                          "dbname",
                                          "user",
                                          "password",
                                          "passfile",
                                          "channel_binding",
                                          "connect_timeout",
                                          "client_encoding",
                                          "options",
                                          "application_name",
                                          "fallback_application_name",
                                          "keepalives",
                                          "keepalives_idle",
                                          "keepalives_interval",
                                          "keepalives_count",
                                          "tcp_user_timeout",
                                          "replication",
                                          "sslmode",
                                          "sslcompression",
                                          "sslcert",
                                          "sslkey",
                                          "sslpassword",
                                          "sslrootcert",
                                          "sslcrl",
                                          "sslcrldir",
                                          "sslsni",
                                          "requirepeer",
                                          "ssl_min_protocol_version",
                                          "ssl_max_protocol_version",
                                          "gssencmode",
                                          "krbsrvname",
                                          "gsslib",
                                          "service",
                                          "target_session_attrs"};
  return std::find(std::begin(kKeywords), std::end(kKeywords), k) != std::end(kKeywords);
}

// Follows libpq's conninfo_parse() one character at a time, so that the expander knows where in
// the string it is (keyword, quoted or unquoted value) and the result can be checked.
class KeywordValueScanner {
 public:
  enum class State {
    kBetween,         // before a keyword
    kKeyword,         // inside a keyword
    kAfterKeyword,    // blanks after a keyword: '=' must follow
    kAfterEquals,     // blanks after '=': a value begins
    kUnquoted,        // inside an unquoted value
    kUnquotedEscape,  // after '\' in an unquoted value
    kQuoted,          // inside a '...' value
    kQuotedEscape,    // after '\' in a quoted value
  };

  State state() const { return state_; }
  const std::string& keyword() const { return keyword_; }
  bool failed() const { return !error_.empty(); }

  void Feed(char c) {
    if (failed()) return;
    switch (state_) {
      case State::kBetween:
        if (Space(c)) return;
        keyword_.clear();
        if (c == '=') return Fail("a value without a keyword");
        keyword_.push_back(c);
        state_ = State::kKeyword;
        return;
      case State::kKeyword:
        if (c == '=') {
          state_ = State::kAfterEquals;
        } else if (Space(c)) {
          state_ = State::kAfterKeyword;
        } else {
          keyword_.push_back(c);
        }
        return;
      case State::kAfterKeyword:
        if (Space(c)) return;
        if (c != '=') return Fail("a word without \"=\"");
        state_ = State::kAfterEquals;
        return;
      case State::kAfterEquals:
        if (Space(c)) return;
        value_.clear();
        if (c == '\'') {
          state_ = State::kQuoted;
          return;
        }
        state_ = State::kUnquoted;
        return Feed(c);
      case State::kUnquoted:
        if (Space(c)) return EndValue();
        if (c == '\\') {
          state_ = State::kUnquotedEscape;
        } else {
          value_.push_back(c);
        }
        return;
      case State::kUnquotedEscape:
        value_.push_back(c);
        state_ = State::kUnquoted;
        return;
      case State::kQuoted:
        if (c == '\\') {
          state_ = State::kQuotedEscape;
        } else if (c == '\'') {
          EndValue();
        } else {
          value_.push_back(c);
        }
        return;
      case State::kQuotedEscape:
        value_.push_back(c);
        state_ = State::kQuoted;
        return;
    }
  }

  // Ends the string: the last value ends, or the error is set.
  void Finish() {
    if (failed()) return;
    switch (state_) {
      case State::kKeyword:
      case State::kAfterKeyword: return Fail("a word without \"=\"");
      case State::kQuoted:
      case State::kQuotedEscape:
        if (KnownKeyword(keyword_)) {
          return Fail("the quoted value of " + keyword_ + " has no closing quote", "");
        }
        return Fail("a quoted value without its closing quote");
      case State::kAfterEquals:
        value_.clear();
        return EndValue();  // "keyword=" at the end: an empty value, as libpq reads it
      case State::kUnquoted:
      case State::kUnquotedEscape: return EndValue();
      case State::kBetween: return;
    }
  }

  const std::string& error() const { return error_; }
  const std::vector<std::pair<std::string, std::string>>& pairs() const { return pairs_; }

 private:
  void EndValue() {
    pairs_.emplace_back(keyword_, value_);
    state_ = State::kBetween;
  }

  // Where the problem is, naming no value and no word that might be part of one.
  void Fail(const std::string& what) {
    if (pairs_.empty()) return Fail(what, " at the start");
    if (KnownKeyword(pairs_.back().first)) {
      return Fail(what, " after the value of " + pairs_.back().first);
    }
    Fail(what, " after keyword/value pair " + std::to_string(pairs_.size()));
  }
  void Fail(const std::string& what, const std::string& where) {
    error_ = "not a valid connection string: " + what + where +
             " (write keyword=value pairs; quote a value that holds spaces or quotes as "
             "'value', with \\' and \\\\ inside)";
  }

  State state_ = State::kBetween;
  std::string keyword_, value_, error_;
  std::vector<std::pair<std::string, std::string>> pairs_;
};

bool HasUriPrefix(std::string_view s) {
  return s.rfind("postgresql://", 0) == 0 || s.rfind("postgres://", 0) == 0;
}

std::string PercentEncode(std::string_view v) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : v) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// libpq's conninfo_uri_decode(); a broken escape is left as it is (libpq reports it).
std::string PercentDecode(std::string_view v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '%' && i + 2 < v.size() && HexDigit(v[i + 1]) >= 0 && HexDigit(v[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexDigit(v[i + 1]) * 16 + HexDigit(v[i + 2])));
      i += 2;
    } else {
      out.push_back(v[i]);
    }
  }
  return out;
}

// The passwords of a URI: user:PASSWORD@ before the first '/', and ?password= / ?sslpassword=
// parameters. Both the text as written and its decoded form are secrets.
void UriSecrets(std::string_view uri, std::vector<std::string>* secrets) {
  const size_t start = uri.find("://") + 3;
  const size_t at = uri.find_first_of("@/", start);
  if (at != std::string_view::npos && uri[at] == '@') {
    const size_t colon = uri.find(':', start);
    if (colon < at) {
      const std::string_view pw = uri.substr(colon + 1, at - colon - 1);
      secrets->emplace_back(pw);
      secrets->push_back(PercentDecode(pw));
    }
  }
  const size_t q = uri.find('?', start);
  if (q == std::string_view::npos) return;
  std::string_view params = uri.substr(q + 1);
  while (!params.empty()) {
    const size_t amp = params.find('&');
    const std::string_view param = params.substr(0, amp);
    const size_t eq = param.find('=');
    if (eq != std::string_view::npos && IsPasswordKeyword(PercentDecode(param.substr(0, eq)))) {
      secrets->emplace_back(param.substr(eq + 1));
      secrets->push_back(PercentDecode(param.substr(eq + 1)));
    }
    if (amp == std::string_view::npos) break;
    params.remove_prefix(amp + 1);
  }
}

// `v` inside an unquoted value: '\' escapes whitespace, quotes and itself.
std::string EscapeUnquoted(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '\'' || Space(c)) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

// `v` inside a '...' value: '\' escapes the quote and itself.
std::string EscapeQuoted(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '\'') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

// One piece of a template: literal text, or a ${...} reference (its name in `ref`).
struct Piece {
  bool is_ref = false;
  std::string text;
};

std::vector<Piece> Split(const std::string& tmpl, const std::string& key) {
  std::vector<Piece> pieces;
  auto literal = [&pieces](char c) {
    if (pieces.empty() || pieces.back().is_ref) pieces.push_back(Piece{});
    pieces.back().text.push_back(c);
  };
  for (size_t i = 0; i < tmpl.size(); ++i) {
    if (tmpl[i] != '$' || i + 1 == tmpl.size()) {
      literal(tmpl[i]);
    } else if (tmpl[i + 1] == '$') {
      literal('$');
      ++i;
    } else if (tmpl[i + 1] == '{') {
      const size_t end = tmpl.find('}', i + 2);
      if (end == std::string::npos) throw ConfigError(key + ": unterminated ${ in value");
      pieces.push_back(Piece{true, tmpl.substr(i + 2, end - i - 2)});
      i = end;
    } else {
      literal('$');
    }
  }
  return pieces;
}

}  // namespace

std::string QuoteConninfoValue(const std::string& value) {
  // Appended piece by piece: "'" + std::string&& trips GCC 12's -Wrestrict false positive at -O3
  // (GCC bug 105329), which the Release build (container check) would report.
  std::string quoted;
  quoted.reserve(value.size() + 2);
  quoted.push_back('\'');
  quoted += EscapeQuoted(value);
  quoted.push_back('\'');
  return quoted;
}

std::string ExpandConninfo(const std::string& tmpl, const std::string& key,
                           std::vector<std::string>* secrets) {
  const std::vector<Piece> pieces = Split(tmpl, key);
  std::string out;
  // The URI form is decided by the string's first characters, as libpq does; a reference that
  // is the start of the string may bring them (dsn: ${PGCDC_DSN}).
  bool uri = HasUriPrefix(tmpl);
  KeywordValueScanner scanner;
  for (size_t p = 0; p < pieces.size(); ++p) {
    const Piece& piece = pieces[p];
    if (!piece.is_ref) {
      out += piece.text;
      if (!uri) {
        for (char c : piece.text) scanner.Feed(c);
      }
      continue;
    }
    const std::string raw = ResolveReference(piece.text, key);
    if (p == 0 && HasUriPrefix(raw)) uri = true;
    if (uri) {
      out += p == 0 ? raw : PercentEncode(raw);
      continue;
    }
    using State = KeywordValueScanner::State;
    std::string text;
    std::string_view rest = raw;
    switch (scanner.state()) {
      case State::kBetween:
      case State::kKeyword:
      case State::kAfterKeyword:
        text = raw;  // connection-string text itself, e.g. the whole string from one variable
        break;
      case State::kAfterEquals: {
        const bool whole =
            p + 1 == pieces.size() || (!pieces[p + 1].is_ref && Space(pieces[p + 1].text[0]));
        text = whole ? QuoteConninfoValue(raw) : EscapeUnquoted(raw);
        break;
      }
      case State::kUnquotedEscape:
      case State::kQuotedEscape:
        // The pending '\' takes the value's first character as it is.
        if (!rest.empty()) {
          text.push_back(rest.front());
          rest.remove_prefix(1);
        }
        text += scanner.state() == State::kQuotedEscape ? EscapeQuoted(rest) : EscapeUnquoted(rest);
        break;
      case State::kUnquoted: text = EscapeUnquoted(raw); break;
      case State::kQuoted: text = EscapeQuoted(raw); break;
    }
    out += text;
    for (char c : text) scanner.Feed(c);
  }
  std::vector<std::string> found;
  if (uri) {
    UriSecrets(out, &found);
  } else {
    scanner.Finish();
    for (const auto& [k, v] : scanner.pairs()) {
      if (!IsPasswordKeyword(k)) continue;
      found.push_back(v);
      found.push_back(QuoteConninfoValue(v));
      found.push_back(EscapeUnquoted(v));
    }
  }
  // Registered before any error is reported, so that nothing printed later can hold them.
  for (const auto& s : found) AddSecret(s);
  if (secrets != nullptr) secrets->insert(secrets->end(), found.begin(), found.end());
  if (scanner.failed()) throw ConfigError(key + ": " + scanner.error());
  return out;
}

std::string PercentDecode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

}  // namespace cdc::config
