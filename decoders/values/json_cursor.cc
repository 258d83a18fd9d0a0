#include "decoders/values/json_cursor.h"

#include <charconv>
#include <cstdint>
#include <limits>
#include <system_error>

namespace cdc {

namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void AppendUtf8(std::string* out, uint32_t cp) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

}  // namespace

void JsonCursor::Ws() {
  while (pos_ < s_.size() &&
         (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\t' || s_[pos_] == '\r')) {
    ++pos_;
  }
}

char JsonCursor::Peek() {
  Ws();
  if (pos_ >= s_.size()) return 0;
  char c = s_[pos_];
  if (c == '-' || (c >= '0' && c <= '9')) return '0';
  return c;
}

bool JsonCursor::Literal(std::string_view word) {
  Ws();
  if (s_.substr(pos_, word.size()) != word) return false;
  pos_ += word.size();
  return true;
}

bool JsonCursor::ReadNull() { return Literal("null"); }

bool JsonCursor::ReadBool(bool* v) {
  if (Literal("true")) {
    *v = true;
    return true;
  }
  if (Literal("false")) {
    *v = false;
    return true;
  }
  return false;
}

bool JsonCursor::ReadNumber(std::string_view* token) {
  if (Peek() != '0') return false;
  size_t start = pos_;
  while (pos_ < s_.size()) {
    char c = s_[pos_];
    if ((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E') {
      ++pos_;
    } else {
      break;
    }
  }
  *token = s_.substr(start, pos_ - start);
  return true;
}

bool JsonCursor::ReadInt64(int64_t* v) {
  std::string_view token;
  if (!ReadNumber(&token)) return false;
  auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), *v);
  return ec == std::errc() && end == token.data() + token.size();
}

bool JsonCursor::ReadDouble(double* v) {
  if (Peek() == '"') {
    std::string s;
    if (!ReadString(&s)) return false;
    if (s == "NaN") {
      *v = std::numeric_limits<double>::quiet_NaN();
    } else if (s == "Infinity") {
      *v = std::numeric_limits<double>::infinity();
    } else if (s == "-Infinity") {
      *v = -std::numeric_limits<double>::infinity();
    } else {
      return false;
    }
    return true;
  }
  std::string_view token;
  if (!ReadNumber(&token)) return false;
  // from_chars takes no leading '+', which JsonWriter never writes.
  auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), *v);
  return ec == std::errc() && end == token.data() + token.size();
}

bool JsonCursor::ReadString(std::string* out) {
  out->clear();
  if (Peek() != '"') return false;
  ++pos_;
  while (pos_ < s_.size()) {
    // Copy the run up to the next quote or escape at once: most strings have none.
    size_t run = pos_;
    while (run < s_.size() && s_[run] != '"' && s_[run] != '\\') ++run;
    out->append(s_.substr(pos_, run - pos_));
    pos_ = run;
    if (pos_ >= s_.size()) return false;
    if (s_[pos_] == '"') {
      ++pos_;
      return true;
    }
    if (pos_ + 1 >= s_.size()) return false;
    char e = s_[pos_ + 1];
    pos_ += 2;
    switch (e) {
      case '"': out->push_back('"'); break;
      case '\\': out->push_back('\\'); break;
      case '/': out->push_back('/'); break;
      case 'b': out->push_back('\b'); break;
      case 'f': out->push_back('\f'); break;
      case 'n': out->push_back('\n'); break;
      case 'r': out->push_back('\r'); break;
      case 't': out->push_back('\t'); break;
      case 'u': {
        auto hex4 = [this](uint32_t* v) {
          if (pos_ + 4 > s_.size()) return false;
          *v = 0;
          for (size_t k = 0; k < 4; ++k) {
            int d = HexDigit(s_[pos_ + k]);
            if (d < 0) return false;
            *v = (*v << 4) | static_cast<uint32_t>(d);
          }
          pos_ += 4;
          return true;
        };
        uint32_t cp;
        if (!hex4(&cp)) return false;
        if (cp >= 0xD800 && cp < 0xDC00 && s_.substr(pos_, 2) == "\\u") {
          pos_ += 2;
          uint32_t lo;
          if (!hex4(&lo) || lo < 0xDC00 || lo >= 0xE000) return false;
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        AppendUtf8(out, cp);
        break;
      }
      default: return false;
    }
  }
  return false;
}

bool JsonCursor::BeginObject() {
  if (Peek() != '{') return false;
  ++pos_;
  return true;
}

bool JsonCursor::NextKey(std::string* key, bool* more) {
  Ws();
  if (pos_ < s_.size() && s_[pos_] == '}') {
    ++pos_;
    *more = false;
    return true;
  }
  // A separator before every member but the first (the writer is trusted to place them).
  if (pos_ < s_.size() && s_[pos_] == ',') ++pos_;
  if (!ReadString(key)) return false;
  Ws();
  if (pos_ >= s_.size() || s_[pos_] != ':') return false;
  ++pos_;
  *more = true;
  return true;
}

bool JsonCursor::BeginArray() {
  if (Peek() != '[') return false;
  ++pos_;
  return true;
}

bool JsonCursor::NextElement(bool* more) {
  Ws();
  if (pos_ < s_.size() && s_[pos_] == ']') {
    ++pos_;
    *more = false;
    return true;
  }
  // A separator before every member but the first (the writer is trusted to place them).
  if (pos_ < s_.size() && s_[pos_] == ',') ++pos_;
  *more = true;
  return true;
}

bool JsonCursor::Skip() {
  std::string scratch;
  std::string_view token;
  bool b, more;
  switch (Peek()) {
    case 'n': return ReadNull();
    case 't':
    case 'f': return ReadBool(&b);
    case '0': return ReadNumber(&token);
    case '"': return ReadString(&scratch);
    case '{':
      if (!BeginObject()) return false;
      for (;;) {
        if (!NextKey(&scratch, &more)) return false;
        if (!more) return true;
        if (!Skip()) return false;
      }
    case '[':
      if (!BeginArray()) return false;
      for (;;) {
        if (!NextElement(&more)) return false;
        if (!more) return true;
        if (!Skip()) return false;
      }
    default: return false;
  }
}

bool JsonCursor::CountItems(size_t* n) {
  const size_t saved = pos_;
  *n = 0;
  bool more = true;
  std::string key;
  bool ok;
  if (Peek() == '{') {
    ok = BeginObject();
    while (ok) {
      ok = NextKey(&key, &more);
      if (!ok || !more) break;
      ok = Skip();
      ++*n;
    }
  } else {
    ok = BeginArray();
    while (ok) {
      ok = NextElement(&more);
      if (!ok || !more) break;
      ok = Skip();
      ++*n;
    }
  }
  pos_ = saved;
  return ok;
}

}  // namespace cdc
