#pragma once

// JsonWriter: a streaming JSON writer that appends to a caller-owned std::string. It exists so
// the hot path builds each event with appends into a reused buffer instead of a DOM. Commas are
// managed per nesting level; keys and values must alternate correctly (the writer does not check
// grammar beyond that). Strings are escaped per RFC 8259; bytes >= 0x80 pass through, since
// PostgreSQL text arrives as UTF-8 (client_encoding is pinned).

#include <cstdint>
#include <string>
#include <string_view>

namespace cdc {

class JsonWriter {
 public:
  explicit JsonWriter(std::string* out) : out_(out) {}

  void BeginObject() { Open('{'); }
  void EndObject() { Close('}'); }
  void BeginArray() { Open('['); }
  void EndArray() { Close(']'); }

  void Key(std::string_view name) {
    Comma();
    AppendQuoted(name);
    out_->push_back(':');
    after_key_ = true;
  }
  // A key already quoted and followed by ':' ("\"name\":"): cached per column, or a literal.
  void RawKey(std::string_view quoted_key_colon) {
    Comma();
    out_->append(quoted_key_colon);
    after_key_ = true;
  }
  void String(std::string_view s) {
    Comma();
    AppendQuoted(s);
  }
  // A string value whose body the caller appends to the returned buffer itself, then closes with
  // EndUnescapedString(). For bodies that need no escaping (base64, hex), so a large one is
  // written once, in place, instead of built elsewhere and copied in.
  std::string* BeginUnescapedString() {
    Comma();
    out_->push_back('"');
    return out_;
  }
  void EndUnescapedString() { out_->push_back('"'); }
  void Int(int64_t v);
  void UInt(uint64_t v);
  void Bool(bool v) { Raw(v ? "true" : "false"); }
  void Null() { Raw("null"); }
  // Appends pre-serialized JSON (a cached schema, a validated number) as one value.
  void Raw(std::string_view json) {
    Comma();
    out_->append(json);
  }

  // Escapes `s` as a JSON string body (without quotes) onto `out`.
  static void AppendEscaped(std::string* out, std::string_view s);

 private:
  void Open(char c) {
    Comma();
    out_->push_back(c);
    ++depth_;
    first_ |= (uint64_t{1} << (depth_ & 63));
  }
  void Close(char c) {
    out_->push_back(c);
    --depth_;
  }
  void Comma() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    uint64_t bit = uint64_t{1} << (depth_ & 63);
    if (first_ & bit) {
      first_ &= ~bit;
    } else if (depth_ > 0) {
      out_->push_back(',');
    }
  }
  void AppendQuoted(std::string_view s) {
    out_->push_back('"');
    AppendEscaped(out_, s);
    out_->push_back('"');
  }

  std::string* out_;
  int depth_ = 0;
  uint64_t first_ = 0;
  bool after_key_ = false;
};

}  // namespace cdc
