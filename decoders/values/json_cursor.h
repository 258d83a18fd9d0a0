#pragma once

// JsonCursor: a forward reader over one JSON text that pgcdc's own renderers wrote
// (values/value_json.h): the Avro and Protobuf encoders render a value as the JSON encoder does,
// then read it back with this cursor while writing their binary datum, so every format carries
// the same values from one renderer. Not a general validating parser: it accepts what JsonWriter
// emits (compact, no whitespace needed, though whitespace is skipped) and fails cleanly on
// anything else.
//
// Views into the text; the text must outlive the cursor. Thread-compatible.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace cdc {

class JsonCursor {
 public:
  explicit JsonCursor(std::string_view text) : s_(text) {}

  // What the next value is: 'n' null, 't'/'f' boolean, '"' string, '{', '[', '0' number, 0 end.
  char Peek();
  bool ReadNull();
  bool ReadBool(bool* v);
  // A number token as written ("-12", "3.5E10"), unparsed.
  bool ReadNumber(std::string_view* token);
  // An integer token that fits an int64 (no fraction, no exponent).
  bool ReadInt64(int64_t* v);
  // A number, or one of the strings JsonConverter writes for the non-finite doubles ("NaN",
  // "Infinity", "-Infinity").
  bool ReadDouble(double* v);
  // A string, unescaped into *out (UTF-8).
  bool ReadString(std::string* out);
  // Objects: BeginObject, then NextKey until it returns false at '}'.
  bool BeginObject();
  bool NextKey(std::string* key, bool* more);
  // Arrays: BeginArray, then NextElement until *more is false at ']'.
  bool BeginArray();
  bool NextElement(bool* more);
  // Skips one value of any kind.
  bool Skip();
  // The members of the object or elements of the array that starts here, counted without
  // consuming them (Avro writes a block's count before its items).
  bool CountItems(size_t* n);

  size_t pos() const { return pos_; }

 private:
  void Ws();
  bool Literal(std::string_view word);

  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace cdc
