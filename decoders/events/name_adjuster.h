#pragma once

// Debezium's schema.name.adjustment.mode and field.name.adjustment.mode: how record schema names
// (<topic>.Key/.Value/.Envelope) and field names (column names) are made valid Avro names.
// Pure functions, no state, any thread. Ported from debezium-connector-common's
// io.debezium.schema.SchemaNameAdjuster (validFullname), ReplacementFunction,
// UnicodeReplacementFunction, FieldNameUnderscoreReplacementFunction and
// FieldNameUnicodeReplacementFunction, quirks included:
// * Only the first character of the WHOLE name is checked as a first character: "x.1y" keeps
//   its invalid segment "1y" (the Avro encoder then refuses it, naming it).
// * kAvro: a leading digit becomes '_' + the digit ("24Col" -> "_24Col"), any other invalid
//   character '_'. Java's Character.isDigit is wider than ASCII: a leading Arabic-Indic digit is
//   kept after the '_' too, and the name stays invalid.
// * kAvroUnicode: '_' itself is escaped (it is the escape character) and so is a leading digit;
//   the escape is "_u" + Integer.toHexString padded with "00" only when it has at most two hex
//   digits, so U+0009 gives "_u009" and U+0100 gives "_u100", as Java does.
// * Java works on UTF-16 units: a character outside the BMP is two units, two replacements.
// * Schema names keep '.', field names do not.

#include <string>
#include <string_view>

namespace cdc {

enum class NameAdjustment {
  kNone,         // names as PostgreSQL spells them (Debezium's default)
  kAvro,         // invalid characters become '_'
  kAvroUnicode,  // invalid characters (and '_') become _uXXXX
};

// A record schema's full name (dots separate namespace segments). Returns `name` unchanged under
// kNone or when nothing needed replacing.
std::string AdjustSchemaName(std::string_view name, NameAdjustment mode);

// A field name (a column name): like AdjustSchemaName but '.' is replaced too.
std::string AdjustFieldName(std::string_view name, NameAdjustment mode);

}  // namespace cdc
