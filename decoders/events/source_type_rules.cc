#include "decoders/events/source_type_rules.h"

#include <cctype>

namespace cdc {

namespace {

Status CompileAll(const char* option, const std::vector<std::string>& patterns,
                  std::vector<std::regex>* out) {
  for (const auto& p : patterns) {
    // std::regex reports a bad pattern only by throwing; this runs once, at start-up.
    try {
      out->emplace_back(p, std::regex::ECMAScript | std::regex::icase | std::regex::optimize);
    } catch (const std::regex_error& e) {
      return Status::InvalidArgument(std::string(option) + ": '" + p +
                                     "' is not a regular expression (" + e.what() + ")");
    }
  }
  return Status::Ok();
}

bool AnyMatches(const std::vector<std::regex>& patterns, const std::string& s) {
  for (const auto& re : patterns) {
    if (std::regex_match(s, re)) return true;
  }
  return false;
}

}  // namespace

Result<SourceTypeRules> SourceTypeRules::Compile(const std::vector<std::string>& columns,
                                                 const std::vector<std::string>& datatypes) {
  SourceTypeRules rules;
  Status s = CompileAll("format.column_propagate_source_type", columns, &rules.columns_);
  if (!s.ok()) return s;
  s = CompileAll("format.datatype_propagate_source_type", datatypes, &rules.datatypes_);
  if (!s.ok()) return s;
  return rules;
}

bool SourceTypeRules::Matches(std::string_view qualified_table, std::string_view column,
                              std::string_view type_name) const {
  if (empty()) return false;
  std::string prefix(qualified_table);
  prefix += '.';
  if (!columns_.empty() && AnyMatches(columns_, prefix + std::string(column))) return true;
  return !datatypes_.empty() && AnyMatches(datatypes_, prefix + std::string(type_name));
}

SchemaParameters SourceTypeParameters(const SourceColumnType& type, std::string_view column) {
  std::string upper = type.name;
  for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  SchemaParameters p;
  p.emplace_back("__debezium.source.column.type", std::move(upper));
  // Column.UNSET_INT_VALUE (-1) is the only length Debezium leaves out; the PostgreSQL columns
  // always carry a scale (ColumnMetaData's int).
  if (type.length != -1)
    p.emplace_back("__debezium.source.column.length", std::to_string(type.length));
  p.emplace_back("__debezium.source.column.scale", std::to_string(type.scale));
  p.emplace_back("__debezium.source.column.name", std::string(column));
  return p;
}

}  // namespace cdc
