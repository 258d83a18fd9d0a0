"""Java Avro's Schema.toString() for a schema given as JSON text: the canonical text Confluent
Schema Registry stores and hands out (AvroSchema.canonicalString(), reference
avro-schema-registry.md §5), computed in Python for the test registry.

canonical(text) validates the schema with Debian's python3-avro (avro.schema.parse: the same
names, types and references Java accepts) and then prints the *original* JSON document in Java's
key order, because python-avro's own printer reorders keys and drops some of them. Java's rules,
from org.apache.avro.Schema (1.11) and its Jackson output:
  * records: type, name, namespace (only when it differs from the enclosing record's), doc,
    fields, then the other properties in document order, then aliases; enums: type, name,
    namespace, doc, symbols, default, props, aliases; fixed: type, name, namespace, doc, size,
    props, aliases; array: type, items, props; map: type, values, props;
  * fields: name, type, doc, default, order (unless ascending), aliases, then props;
  * a primitive with no properties is the bare string; with properties {"type":..., props};
    reserved keys ("name" on a primitive, for example) are dropped, as Java drops them;
  * a named type seen before is written as its name, short when in the current namespace;
  * JSON as Jackson writes it: no spaces, non-ASCII kept, doubles as Java's Double.toString.
Pure functions; no state, any thread. Raises InvalidSchema (with python-avro's message) for a
schema the registry must refuse with 422/42201.
"""

import json
import math

import avro.errors
import avro.schema

PRIMITIVES = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}
# Every Schema.Type name: a named type called like one must be written with its namespace.
TYPE_NAMES = PRIMITIVES | {"record", "enum", "array", "map", "union", "fixed"}
SCHEMA_RESERVED = {"doc", "fields", "items", "name", "namespace", "size", "symbols", "values",
                   "type", "aliases"}
ENUM_RESERVED = SCHEMA_RESERVED | {"default"}
FIELD_RESERVED = {"default", "doc", "name", "order", "type", "aliases"}


class InvalidSchema(ValueError):
    """The schema does not parse (bad JSON, bad name, unknown type, redefinition...)."""


def parse(text):
    """python-avro's Schema for `text`; raises InvalidSchema."""
    try:
        return avro.schema.parse(text)
    except (avro.errors.AvroException, ValueError, TypeError, KeyError) as e:
        raise InvalidSchema(f"Invalid schema {text}: {e}") from None


def canonical(text):
    """Java's Schema.toString() of `text` (a str holding the schema's JSON)."""
    parse(text)
    try:
        doc = json.loads(text)
    except ValueError as e:
        raise InvalidSchema(f"Invalid schema {text}: {e}") from None
    out = []
    _Printer(out).schema(doc, None, None)
    return "".join(out)


def _split(name, space):
    """(namespace or None, short name) of a declared name as Java's Schema.Name does."""
    if "." in name:
        space, name = name.rsplit(".", 1)
    return (space or None), name


def _full(space, name):
    return f"{space}.{name}" if space else name


class _Printer:
    """One pass over the JSON document. `parse_space` is the namespace names resolve in (Java's
    names.space while parsing); `write_space` the one Java's printer tracks (set by records)."""

    def __init__(self, out):
        self.out = out
        self.defined = set()

    def w(self, s):
        self.out.append(s)

    def schema(self, node, parse_space, write_space):
        if isinstance(node, list):
            self.w("[")
            for i, member in enumerate(node):
                if i:
                    self.w(",")
                self.schema(member, parse_space, write_space)
            self.w("]")
            return
        if isinstance(node, str):
            self.reference(node, parse_space, write_space)
            return
        kind = node["type"]
        if not isinstance(kind, str):  # {"type": {...}}: the inner schema, as Java reads it
            self.schema(kind, parse_space, write_space)
            return
        if kind in PRIMITIVES:
            props = self.props(node, SCHEMA_RESERVED)
            if not props:
                self.w(json_text(kind))
            else:
                self.w('{"type":' + json_text(kind) + props + "}")
        elif kind in ("record", "error", "enum", "fixed"):
            self.named(node, kind, parse_space, write_space)
        elif kind == "array":
            self.w('{"type":"array","items":')
            self.schema(node["items"], parse_space, write_space)
            self.w(self.props(node, SCHEMA_RESERVED) + "}")
        elif kind == "map":
            self.w('{"type":"map","values":')
            self.schema(node["values"], parse_space, write_space)
            self.w(self.props(node, SCHEMA_RESERVED) + "}")
        else:  # {"type": "SomeName"}: a reference
            self.reference(kind, parse_space, write_space)

    def reference(self, name, parse_space, write_space):
        if name in PRIMITIVES:
            self.w(json_text(name))
            return
        space, short = _split(name, parse_space)
        full = _full(space, short)
        if full not in self.defined:  # python-avro resolved it: a name in the null namespace
            space, full = None, short
        self.w(json_text(self.qualified(space, short, write_space)))

    @staticmethod
    def qualified(space, short, write_space):
        """Java's Name.getQualified(defaultSpace)."""
        if space is not None and space == write_space and short not in TYPE_NAMES:
            return short
        return _full(space, short)

    def named(self, node, kind, parse_space, write_space):
        ns = node.get("namespace")
        space, short = _split(node["name"], parse_space if ns is None else ns)
        full = _full(space, short)
        if full in self.defined:  # Java writes a repeated definition as a reference
            self.w(json_text(self.qualified(space, short, write_space)))
            return
        self.defined.add(full)
        self.w('{"type":' + json_text(kind) + ',"name":' + json_text(short))
        if space is not None and space != write_space:
            self.w(',"namespace":' + json_text(space))
        elif space is None and write_space is not None:
            self.w(',"namespace":""')
        if node.get("doc") is not None:
            self.w(',"doc":' + json_text(node["doc"]))
        if kind in ("record", "error"):
            self.w(',"fields":[')
            for i, field in enumerate(node["fields"]):
                if i:
                    self.w(",")
                self.field(field, space, space)
            self.w("]" + self.props(node, SCHEMA_RESERVED))
        elif kind == "enum":
            self.w(',"symbols":' + json_text(node["symbols"]))
            if node.get("default") is not None:
                self.w(',"default":' + json_text(node["default"]))
            self.w(self.props(node, ENUM_RESERVED))
        else:
            self.w(',"size":' + json_text(node["size"]) + self.props(node, SCHEMA_RESERVED))
        aliases = node.get("aliases") or []
        if aliases:
            self.w(',"aliases":' + json_text([self.qualified(*_split(a, space), space)
                                              for a in aliases]))
        self.w("}")

    def field(self, field, parse_space, write_space):
        self.w('{"name":' + json_text(field["name"]) + ',"type":')
        self.schema(field["type"], parse_space, write_space)
        if field.get("doc") is not None:
            self.w(',"doc":' + json_text(field["doc"]))
        if "default" in field:
            default = field["default"]
            base = _base_type(field["type"])
            if base in ("float", "double") and isinstance(default, str):
                default = float(default)  # Java turns "NaN"/"Infinity" into a DoubleNode
            self.w(',"default":' + json_text(default))
        order = field.get("order", "ascending")
        if order != "ascending":
            self.w(',"order":' + json_text(order))
        if field.get("aliases"):
            self.w(',"aliases":' + json_text(field["aliases"]))
        self.w(self.props(field, FIELD_RESERVED) + "}")

    @staticmethod
    def props(node, reserved):
        """The non-reserved keys in document order, each as ',"key":value'."""
        return "".join("," + json_text(k) + ":" + json_text(v)
                       for k, v in node.items() if k not in reserved)


def _base_type(node):
    if isinstance(node, dict):
        return node.get("type")
    return node


def json_text(value):
    """`value` as Jackson writes it: compact, UTF-8 kept, Java's number formats."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return java_double(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list):
        return "[" + ",".join(json_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(_string(k) + ":" + json_text(v) for k, v in value.items()) + "}"
    raise TypeError(f"not JSON: {value!r}")


_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t",
                  "\b": "\\b", "\f": "\\f"}


def _string(s):
    """Jackson's string escaping: quote, backslash, short escapes, \\u00XX (upper-case hex) for
    the other control characters; everything else as is."""
    parts = ['"']
    for ch in s:
        if ch in _SHORT_ESCAPES:
            parts.append(_SHORT_ESCAPES[ch])
        elif ord(ch) < 0x20:
            parts.append(f"\\u{ord(ch):04X}")
        else:
            parts.append(ch)
    parts.append('"')
    return "".join(parts)


def java_double(d):
    """Java's Double.toString (what Jackson writes for a DoubleNode): "1.0", "0.001", "1.0E7",
    "1.0E-4", "NaN", "Infinity". Digits are the shortest round trip (Python's repr), which is
    what Java prints since JDK 19 and nearly always before."""
    if math.isnan(d):
        return "NaN"
    if math.isinf(d):
        return "Infinity" if d > 0 else "-Infinity"
    if d == 0:
        return "-0.0" if math.copysign(1, d) < 0 else "0.0"
    sign = "-" if d < 0 else ""
    digits, exp = _shortest_digits(abs(d))  # value = 0.d1d2... * 10^exp
    if 1e-3 <= abs(d) < 1e7:
        if exp <= 0:
            return f"{sign}0.{'0' * -exp}{digits}"
        whole = digits[:exp].ljust(exp, "0")
        frac = digits[exp:] or "0"
        return f"{sign}{whole}.{frac}"
    mantissa = digits[0] + "." + (digits[1:] or "0")
    return f"{sign}{mantissa}E{exp - 1}"


def _shortest_digits(d):
    """(significant digits without trailing zeros, exponent) with d = 0.DIGITS * 10^exponent."""
    mant, _, e = f"{d!r}".partition("e") if "e" in repr(d) else (repr(d), "", "0")
    exp10 = int(e)
    int_part, _, frac_part = mant.partition(".")
    digits = (int_part + frac_part).lstrip("0")
    lead_zeros = len(int_part + frac_part) - len((int_part + frac_part).lstrip("0"))
    exp = len(int_part) - lead_zeros + exp10
    return digits.rstrip("0") or "0", exp
