#include "decoders/wire/copy_text.h"

#include <vector>

namespace cdc {

namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Appends the de-escaped form of `field` (which contains at least one backslash).
Status Unescape(std::string_view field, std::string* out) {
  for (size_t i = 0; i < field.size(); ++i) {
    char c = field[i];
    if (c != '\\') {
      out->push_back(c);
      continue;
    }
    if (++i >= field.size()) return Status::Corruption("COPY row: backslash at end of field");
    c = field[i];
    switch (c) {
      case 'b': out->push_back('\b'); break;
      case 'f': out->push_back('\f'); break;
      case 'n': out->push_back('\n'); break;
      case 'r': out->push_back('\r'); break;
      case 't': out->push_back('\t'); break;
      case 'v': out->push_back('\v'); break;
      case 'x': {
        // \xh or \xhh
        int v = 0, digits = 0;
        while (digits < 2 && i + 1 < field.size() && HexDigit(field[i + 1]) >= 0) {
          v = v * 16 + HexDigit(field[++i]);
          ++digits;
        }
        if (digits == 0) {
          out->push_back('x');  // COPY FROM's rule: a lone \x is the letter x
        } else {
          out->push_back(static_cast<char>(v));
        }
        break;
      }
      default:
        if (c >= '0' && c <= '7') {
          int v = c - '0', digits = 1;
          while (digits < 3 && i + 1 < field.size() && field[i + 1] >= '0' && field[i + 1] <= '7') {
            v = v * 8 + (field[++i] - '0');
            ++digits;
          }
          out->push_back(static_cast<char>(v & 0xff));
        } else {
          out->push_back(c);  // \\ and any other escaped character stand for themselves
        }
    }
  }
  return Status::Ok();
}

}  // namespace

Status ParseCopyTextRow(std::string_view line, size_t columns, std::string* storage,
                        pgoutput::Tuple* out) {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  storage->clear();
  out->clear();
  out->reserve(columns);
  if (columns == 0) {
    if (line.empty()) return Status::Ok();
    return Status::Corruption("COPY row has columns, expected none");
  }
  // Unescaped fields are stored as offsets into `storage` first: it may reallocate while later
  // fields are appended, so views are made only at the end.
  constexpr size_t kInLine = static_cast<size_t>(-1);
  struct Span {
    size_t begin = 0;
    size_t size = 0;
    size_t storage_begin = kInLine;  // kInLine: the field is used from `line` as is
    bool null = false;
  };
  Span spans_small[64];
  std::vector<Span> spans_big;
  Span* spans = spans_small;
  if (columns > 64) {
    spans_big.resize(columns);
    spans = spans_big.data();
  }

  size_t field = 0;
  size_t start = 0;
  for (;;) {
    size_t end = line.find('\t', start);
    const bool last = end == std::string_view::npos;
    if (last) end = line.size();
    if (field >= columns) {
      return Status::Corruption("COPY row has more than " + std::to_string(columns) + " columns");
    }
    std::string_view f = line.substr(start, end - start);
    Span& s = spans[field];
    s = Span{};
    if (f == "\\N") {
      s.null = true;
    } else if (f.find('\\') == std::string_view::npos) {
      s.begin = start;
      s.size = f.size();
    } else if (f.size() >= 2 && f[0] == '\\' && f[1] == '\\' &&
               f.find('\\', 2) == std::string_view::npos) {
      // Only a leading escaped backslash, as in every bytea ("\\x" and hex digits): its
      // de-escaped form is the field without its first byte, so a large value is not copied.
      s.begin = start + 1;
      s.size = f.size() - 1;
    } else {
      s.storage_begin = storage->size();
      CDC_RETURN_IF_ERROR(Unescape(f, storage));
      s.size = storage->size() - s.storage_begin;
    }
    ++field;
    if (last) break;
    start = end + 1;
  }
  if (field != columns) {
    return Status::Corruption("COPY row has " + std::to_string(field) + " columns, expected " +
                              std::to_string(columns));
  }
  for (size_t i = 0; i < columns; ++i) {
    const Span& s = spans[i];
    pgoutput::TupleValue v;
    if (!s.null) {
      v.kind = pgoutput::ValueKind::kText;
      v.data = s.storage_begin == kInLine
                   ? line.substr(s.begin, s.size)
                   : std::string_view(*storage).substr(s.storage_begin, s.size);
    }
    out->push_back(v);
  }
  return Status::Ok();
}

}  // namespace cdc
