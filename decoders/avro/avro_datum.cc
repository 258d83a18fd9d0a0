#include "decoders/avro/avro_datum.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "decoders/base/base64.h"

namespace cdc::avro {

namespace {

using Kind = AvroSchema::Kind;

Status Mismatch(const AvroSchema& s, const JsonCursor& in, std::string_view what) {
  return Status::InvalidArgument(
      "cannot write " + std::string(what) + " at offset " + std::to_string(in.pos()) + " as Avro " +
      (s.kind == Kind::kRecord ? "record " + s.FullName() : std::string("value")));
}

}  // namespace

Status WriteJsonAsAvro(const AvroSchema& s, JsonCursor& in, std::string* out) {
  std::string str;
  switch (s.kind) {
    case Kind::kUnion: {
      const int null_branch = s.NullBranch();
      if (null_branch < 0) return Mismatch(s, in, "a value of a general union");
      if (in.Peek() == 'n') {
        if (!in.ReadNull()) return Mismatch(s, in, "null");
        WriteLong(out, null_branch);
        return Status::Ok();
      }
      WriteLong(out, 1 - null_branch);
      return WriteJsonAsAvro(*s.branches[static_cast<size_t>(1 - null_branch)], in, out);
    }
    case Kind::kNull:
      if (!in.ReadNull()) return Mismatch(s, in, "a non-null value");
      return Status::Ok();
    case Kind::kBoolean: {
      bool b;
      if (!in.ReadBool(&b)) return Mismatch(s, in, "a non-boolean");
      WriteBool(out, b);
      return Status::Ok();
    }
    case Kind::kInt:
    case Kind::kLong: {
      std::string_view token;
      int64_t v = 0;
      if (!in.ReadNumber(&token)) return Mismatch(s, in, "a non-number");
      auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), v);
      if (ec != std::errc() || end != token.data() + token.size()) {
        return Mismatch(s, in, "the non-integer " + std::string(token));
      }
      if (s.kind == Kind::kInt &&
          (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max())) {
        return Mismatch(s, in, "the out-of-range int " + std::string(token));
      }
      WriteLong(out, v);
      return Status::Ok();
    }
    case Kind::kFloat:
    case Kind::kDouble: {
      double v;
      if (!in.ReadDouble(&v)) return Mismatch(s, in, "a non-number");
      if (s.kind == Kind::kFloat) {
        WriteFloat(out, static_cast<float>(v));
      } else {
        WriteDouble(out, v);
      }
      return Status::Ok();
    }
    case Kind::kString:
      if (!in.ReadString(&str)) return Mismatch(s, in, "a non-string");
      WriteBytes(out, str);
      return Status::Ok();
    case Kind::kBytes: {
      // JsonConverter's BYTES are base64; decode straight after the length's place.
      if (!in.ReadString(&str)) return Mismatch(s, in, "a non-string");
      thread_local std::string bytes;
      bytes.clear();
      if (!AppendBase64Decoded(&bytes, str)) return Mismatch(s, in, "invalid base64");
      WriteBytes(out, bytes);
      return Status::Ok();
    }
    case Kind::kArray:
    case Kind::kMap: {
      size_t n = 0;
      if (!in.CountItems(&n)) return Mismatch(s, in, "a malformed array or object");
      const bool map = s.kind == Kind::kMap;
      if (map ? !in.BeginObject() : !in.BeginArray()) {
        return Mismatch(s, in, map ? "a non-object" : "a non-array");
      }
      if (n > 0) WriteLong(out, static_cast<int64_t>(n));
      bool more = true;
      for (;;) {
        if (map ? !in.NextKey(&str, &more) : !in.NextElement(&more)) {
          return Mismatch(s, in, "a malformed array or object");
        }
        if (!more) break;
        if (map) WriteBytes(out, str);
        CDC_RETURN_IF_ERROR(WriteJsonAsAvro(*s.items, in, out));
      }
      WriteLong(out, 0);
      return Status::Ok();
    }
    case Kind::kRecord: {
      if (!in.BeginObject()) return Mismatch(s, in, "a non-object");
      size_t next = 0;
      bool more = true;
      for (;;) {
        if (!in.NextKey(&str, &more)) return Mismatch(s, in, "a malformed object");
        if (!more) break;
        // Members come in schema order (the JSON renderers write them so); a member the JSON
        // leaves out is null.
        while (next < s.fields.size() && s.fields[next].name != str) {
          if (s.fields[next].schema->NullBranch() < 0) {
            return Mismatch(s, in, "an object without '" + s.fields[next].name + "'");
          }
          WriteBranch(out, *s.fields[next].schema, false);
          ++next;
        }
        if (next == s.fields.size()) return Mismatch(s, in, "the unknown member '" + str + "'");
        // The context is built on failure only: this runs for every field of every record.
        if (Status st = WriteJsonAsAvro(*s.fields[next].schema, in, out); !st.ok()) {
          return st.WithContext(s.FullName() + "." + s.fields[next].name);
        }
        ++next;
      }
      for (; next < s.fields.size(); ++next) {
        if (s.fields[next].schema->NullBranch() < 0) {
          return Mismatch(s, in, "an object without '" + s.fields[next].name + "'");
        }
        WriteBranch(out, *s.fields[next].schema, false);
      }
      return Status::Ok();
    }
  }
  return Mismatch(s, in, "a value");
}

}  // namespace cdc::avro
