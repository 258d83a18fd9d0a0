#pragma once

// Debezium's column.propagate.source.type and datatype.propagate.source.type
// (RelationalDatabaseConnectorConfig; ColumnMappers; PropagateSourceMetadataToSchemaParameter):
// the columns whose Value-schema fields carry their source type as Connect parameters.
//
// A column matches when one column pattern matches "<schema>.<table>.<column>", or one datatype
// pattern matches "<schema>.<table>.<type name>" (Debezium's fullyQualifiedColumnDatatype, hence
// its documented ".+\\.NUMERIC"). Patterns are regular expressions matched against the whole
// string, ignoring case (Predicates.includes: Pattern.CASE_INSENSITIVE, matcher.matches()).
// pgcdc compiles them as ECMAScript, which agrees with Java's syntax for the usual patterns.
//
// Built once from the configuration; immutable after, thread-compatible.

#include <regex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "decoders/base/status.h"
#include "decoders/values/source_column_type.h"

namespace cdc {

class SourceTypeRules {
 public:
  SourceTypeRules() = default;

  // Fails, naming the option and the pattern, when a pattern is not a regular expression.
  static Result<SourceTypeRules> Compile(const std::vector<std::string>& columns,
                                         const std::vector<std::string>& datatypes);

  bool empty() const { return columns_.empty() && datatypes_.empty(); }

  // Whether the column `column` of `qualified_table` ("schema.table"), of type `type_name`
  // (pg_type.typname), gets the parameters.
  bool Matches(std::string_view qualified_table, std::string_view column,
               std::string_view type_name) const;

 private:
  std::vector<std::regex> columns_;
  std::vector<std::regex> datatypes_;
};

using SchemaParameters = std::vector<std::pair<std::string, std::string>>;

// The parameters Debezium 3.6.1 adds, in its order: __debezium.source.column.type (the type
// name upper-cased), .length, .scale, and .name (the column's name before field-name
// adjustment). Debezium's .comment is never set for PostgreSQL columns.
SchemaParameters SourceTypeParameters(const SourceColumnType& type, std::string_view column);

}  // namespace cdc
