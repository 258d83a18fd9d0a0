"""Field defaults checked against their types, as Java Avro's Schema.Parser does with
setValidateDefaults(true): the test registry's --validate-defaults, Confluent's
schema.providers.avro.validate.defaults=true. Off by default, as on Confluent (python-avro and
Confluent's server both accept a wrong default; confluentinc/schema-registry#1293, #1772): with
it on, a producer that writes ["string","null"] with "default": null, the classic union-order
mistake (reference avro-schema-registry.md §2), is refused with 422/42201 at registration.

Pure functions over a parsed python-avro Schema; any thread.
"""

import avro.schema

from avro_canonical import InvalidSchema


def check_defaults(schema):
    """Raises InvalidSchema naming the first field whose default does not fit its type."""
    _walk(schema, set())


def _walk(schema, seen):
    if isinstance(schema, avro.schema.NamedSchema):
        if schema.fullname in seen:
            return
        seen.add(schema.fullname)
    if isinstance(schema, avro.schema.RecordSchema):
        for field in schema.fields:
            if field.has_default and not _fits(field.type, field.default):
                raise InvalidSchema(f"Invalid default for field {field.name}: "
                                    f"{field.default!r} not a {field.type}")
            _walk(field.type, seen)
    elif isinstance(schema, avro.schema.UnionSchema):
        for branch in schema.schemas:
            _walk(branch, seen)
    elif isinstance(schema, avro.schema.ArraySchema):
        _walk(schema.items, seen)
    elif isinstance(schema, avro.schema.MapSchema):
        _walk(schema.values, seen)


def _fits(schema, value):
    """Whether the JSON value `value` is a valid default for `schema` (Avro spec: a union's
    default belongs to its first branch; bytes and fixed as strings)."""
    kind = schema.type
    if kind == "union":
        return _fits(schema.schemas[0], value)
    if kind == "null":
        return value is None
    if kind == "boolean":
        return isinstance(value, bool)
    if kind in ("int", "long"):
        return isinstance(value, int) and not isinstance(value, bool)
    if kind in ("float", "double"):
        return (isinstance(value, (int, float)) and not isinstance(value, bool)) or \
            value in ("NaN", "Infinity", "-Infinity")
    if kind in ("bytes", "string"):
        return isinstance(value, str)
    if kind == "fixed":
        return isinstance(value, str) and len(value) == schema.size
    if kind == "enum":
        return value in schema.symbols
    if kind == "array":
        return isinstance(value, list) and all(_fits(schema.items, v) for v in value)
    if kind == "map":
        return isinstance(value, dict) and all(_fits(schema.values, v) for v in value.values())
    if kind in ("record", "error"):
        return isinstance(value, dict) and all(
            _fits(f.type, value[f.name]) if f.name in value else f.has_default
            for f in schema.fields)
    return False
