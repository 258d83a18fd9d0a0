#include "decoders/values/column_default.h"

// Debezium's parsing, step by step: a function call or a current date/time keyword gives the
// type's placeholder; otherwise the first quoted literal ('' unescaped), or the raw expression
// when it has no quote (NULL::type meaning none). Numeric-like types are trimmed first.

#include <cctype>

#include "decoders/values/pg_type_oids.h"

namespace cdc {

namespace {

bool IsIdentChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '.';
}

// FUNCTION_DEFAULT_PATTERN: ^[(]?[A-Za-z0-9_.]+\((?:.+(?:, ?.+)*)?\)
bool IsFunctionCall(std::string_view v) {
  size_t i = 0;
  if (i < v.size() && v[i] == '(') ++i;
  const size_t start = i;
  while (i < v.size() && IsIdentChar(v[i])) ++i;
  if (i == start || i >= v.size() || v[i] != '(') return false;
  return v.find(')', i + 1) != std::string_view::npos;
}

bool IsCurrentDateTime(std::string_view v) {
  std::string lower;
  for (char c : v) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  return lower == "current_timestamp" || lower == "current_time" || lower == "current_date" ||
         lower == "localtime" || lower == "localtimestamp";
}

// extractDefault(value): nullopt for NULL::type and for a literal that does not close (Debezium's
// matcher then throws, which it reports as "cannot parse").
std::optional<std::string> Literal(std::string_view v) {
  const size_t q = v.find('\'');
  if (q == std::string_view::npos) {
    if (v.substr(0, 6) == "NULL::") return std::nullopt;
    return std::string(v);
  }
  std::string out;
  for (size_t j = q + 1; j < v.size(); ++j) {
    if (v[j] != '\'') {
      out.push_back(v[j]);
    } else if (j + 1 < v.size() && v[j + 1] == '\'') {
      out.push_back('\'');
      ++j;
    } else {
      return out;
    }
  }
  return std::nullopt;
}

// extractDefault(value, placeholder).
std::optional<std::string> Extract(std::string_view v, std::string_view placeholder) {
  if (IsFunctionCall(v) || IsCurrentDateTime(v)) return std::string(placeholder);
  return Literal(v);
}

std::string_view Trim(std::string_view v) {
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.front())) != 0) v.remove_prefix(1);
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back())) != 0) v.remove_suffix(1);
  return v;
}

// A type name as written in a cast: schema-qualified and quoted or not; the bare name.
std::string_view BareTypeName(std::string_view t) {
  if (size_t dot = t.rfind('.'); dot != std::string_view::npos) t.remove_prefix(dot + 1);
  if (t.size() >= 2 && t.front() == '"' && t.back() == '"') t = t.substr(1, t.size() - 2);
  return t;
}

// extractEnumDefault: 'label'::type where the cast names the column's enum type.
std::optional<std::string> EnumDefault(const ColumnCodec& c, std::string_view v) {
  const size_t cast = v.rfind("::");
  if (cast == std::string_view::npos) return std::nullopt;
  if (BareTypeName(v.substr(cast + 2)) != BareTypeName(c.type_name)) return std::nullopt;
  std::string_view value = v.substr(0, cast);
  if (value.size() < 2 || value.front() != '\'' || value.back() != '\'') return std::nullopt;
  return std::string(value.substr(1, value.size() - 2));
}

}  // namespace

std::optional<std::string> ColumnDefaultText(const ColumnCodec& c, std::string_view expr,
                                             bool domain) {
  if (domain) return std::nullopt;
  if (c.type == ValueType::kEnum) return EnumDefault(c, expr);
  // Debezium's parseNullDefault: NULL::type is no default for these.
  auto null_default = [&] { return Trim(expr).substr(0, 6) == "NULL::"; };
  switch (c.oid) {
    case pgtype::kBit:
      if (c.type == ValueType::kBool) {
        // bit(1): a one-character literal is the boolean; the generated placeholder "00" is not
        // a boolean, which Debezium fails to convert (no default).
        auto bits = Extract(Trim(expr), "00");
        if (!bits || bits->size() != 1) return std::nullopt;
        return bits;
      }
      return Extract(Trim(expr), "00");
    case pgtype::kVarbit: return Extract(Trim(expr), "0");
    case pgtype::kBool: {
      if (null_default()) return std::nullopt;
      auto b = Extract(Trim(expr), "false");
      if (!b) return std::nullopt;
      // Boolean.parseBoolean: "true" in any case is true, anything else false.
      std::string lower;
      for (char ch : *b) {
        lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(ch))));
      }
      return std::string(lower == "true" ? "t" : "f");
    }
    case pgtype::kBpchar:
    case pgtype::kVarchar:
    case pgtype::kText:
    case pgtype::kXml: return Extract(expr, "");
    case pgtype::kJson:
    case pgtype::kJsonb: return Extract(expr, "{}");
    case pgtype::kNumeric:
      // Debezium drops a struct default (KAFKA-12694): VariableScaleDecimal has none.
      if (c.type == ValueType::kVariableDecimal || null_default()) return std::nullopt;
      return Extract(Trim(expr), "0.0");
    case pgtype::kFloat4:
    case pgtype::kFloat8:
      if (null_default()) return std::nullopt;
      return Extract(Trim(expr), "0.0");
    case pgtype::kInt2:
    case pgtype::kInt4:
    case pgtype::kInt8:
      if (null_default()) return std::nullopt;
      return Extract(Trim(expr), "0");
    case pgtype::kUuid: return Extract(Trim(expr), "00000000-0000-0000-0000-000000000000");
    case pgtype::kDate: return Extract(Trim(expr), "1970-01-01");
    case pgtype::kTime: return Extract(Trim(expr), "00:00:00");
    case pgtype::kTimestamp: return Extract(Trim(expr), "1970-01-01 00:00:00");
    case pgtype::kTimestamptz: return Extract(Trim(expr), "1970-01-01 00:00:00+00");
    // PGInterval("epoch") parses to a zero interval.
    case pgtype::kInterval: return Extract(Trim(expr), "00:00:00");
    default: return std::nullopt;  // Debezium: "Mapper for type ... not found"
  }
}

}  // namespace cdc
