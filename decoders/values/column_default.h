#pragma once

// A column's default value as Debezium's PostgresDefaultValueConverter (Debezium 3.6.1,
// connection/PostgresDefaultValueConverter.java) declares it in the column's schema: parsed from
// the default expression PostgreSQL stores (pg_get_expr of pg_attrdef.adbin), never evaluated.
// A function default (nextval, now(), gen_random_uuid()) or CURRENT_TIMESTAMP becomes the type's
// placeholder (0, epoch, "", ...); types Debezium has no mapper for (bytea, money, timetz, inet,
// arrays, domains, geometric types, ...) and values Debezium would turn into a struct
// (VariableScaleDecimal) get none. The result is the default in PostgreSQL's text form, which
// each format renders as it renders the column's values; a value the renderer rejects means no
// default, as Debezium's parse failure does. Pure; thread-compatible.

#include <optional>
#include <string>
#include <string_view>

#include "decoders/values/column_codec.h"

namespace cdc {

// `expr` is the stored default expression; `domain`: the column's type is a domain (Debezium
// looks mappers up by the column's type name, which a domain does not match).
std::optional<std::string> ColumnDefaultText(const ColumnCodec& codec, std::string_view expr,
                                             bool domain);

}  // namespace cdc
