"""Reading records written in Confluent's Protobuf wire format (format.type protobuf) with code
pgcdc did not write: the schema of each record's id comes from the registry through Debian's
Confluent Python client (SchemaRegistryClient.get_schema), Debian's protoc compiles it (with the
registry's known types, tests/tools/proto_compile.py), python3-protobuf builds the message class,
and Confluent's ProtobufDeserializer checks the framing and the message indexes and parses the
payload.

as_json(message) then spells the message as the JSON payload of the same record, so a Protobuf
event compares with the JSON event of the same change:
  * singular scalars as they are, bytes as base64 (JsonConverter's BYTES), 64-bit ints as ints;
  * a message field or an `optional` scalar present -> its value, absent -> None;
  * repeated -> lists; a repeated <Name>Entry {key, value} -> a dict (Connect's map);
  * confluent.type.Decimal -> base64 of its unscaled bytes (decimal.format BASE64), after
    checking that precision is the value's own digit count and scale the schema's;
  * google.type.Date -> days since the epoch, TimeOfDay -> ms since midnight,
    google.protobuf.Timestamp -> ms since the epoch (Connect's Date, Time, Timestamp).
json_as_protobuf_reads(value, descriptor) is the JSON side's reading of a proto3 reader: a null
scalar becomes the type's zero value (Protobuf cannot tell them apart) unless the field is
`optional` (format.protobuf.optional_for_nullables), a null message None.
"""

import base64
import math
import os
import struct
import sys

from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.descriptor import FieldDescriptor as FD

sys.path.append(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "tools"))
from proto_compile import descriptor_set  # noqa: E402  (after the path)

ZERO = {FD.TYPE_STRING: "", FD.TYPE_BYTES: "", FD.TYPE_BOOL: False, FD.TYPE_FLOAT: 0.0,
        FD.TYPE_DOUBLE: 0.0}


def message_class(text, name="schema.proto"):
    """The class of the first top-level message of the Protobuf schema `text`."""
    fds = descriptor_pb2.FileDescriptorSet.FromString(descriptor_set(text, name))
    pool = descriptor_pool.DescriptorPool()
    for f in fds.file:
        pool.Add(f)
    root = next(f for f in fds.file if f.name == name)
    full = (root.package + "." if root.package else "") + root.message_type[0].name
    return message_factory.MessageFactory(pool).GetPrototype(pool.FindMessageTypeByName(full))


class ProtobufDecoder:
    """Decodes Confluent-framed Protobuf records of one registry: returns (schema id, message)."""

    def __init__(self, url):
        self.url = url
        self.client = SchemaRegistryClient({"url": url})
        self.deserializers = {}
        self.texts = {}

    def decode(self, raw):
        if raw is None:
            return None, None
        assert raw[:1] == b"\x00" and len(raw) >= 6, f"not Confluent-framed: {raw[:8]!r}"
        schema_id = struct.unpack(">i", raw[1:5])[0]
        assert raw[5:6] == b"\x00", f"message indexes are not [0]: {raw[5:8]!r}"
        if schema_id not in self.deserializers:
            schema = self.client.get_schema(schema_id)
            assert schema.schema_type == "PROTOBUF", schema.schema_type
            self.texts[schema_id] = schema.schema_str
            self.deserializers[schema_id] = ProtobufDeserializer(
                message_class(schema.schema_str))
        return schema_id, self.deserializers[schema_id](raw, None)


def _days_from_civil(y, m, d):
    """Days since 1970-01-01 of a proleptic Gregorian date, any year (Howard Hinnant's
    days_from_civil; python's datetime stops at year 9999, PostgreSQL's 'infinity' does not)."""
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _decimal_digits(unscaled):
    return len(str(abs(unscaled))) if unscaled else 1


def _floating(field, value):
    """A float or double as the JSON payload spells it: NaN and the infinities as JsonConverter's
    strings, a float32 as the float32 it is (python widens it to a double)."""
    if isinstance(value, str):
        return value
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if field.type == FD.TYPE_FLOAT:
        return struct.unpack("<f", struct.pack("<f", value))[0]
    return float(value)


def _scalar(field, value):
    if field.type == FD.TYPE_BYTES:
        return base64.b64encode(value).decode()
    if field.type in (FD.TYPE_FLOAT, FD.TYPE_DOUBLE):
        return _floating(field, value)
    return value


def _well_known(field, value):
    name = field.message_type.full_name
    if name == "confluent.type.Decimal":
        unscaled = int.from_bytes(value.value, "big", signed=True)
        assert value.precision == _decimal_digits(unscaled), (field.name, value)
        return base64.b64encode(value.value).decode()
    if name == "google.type.Date":
        return _days_from_civil(value.year, value.month, value.day)
    if name == "google.type.TimeOfDay":
        return ((value.hours * 60 + value.minutes) * 60 + value.seconds) * 1000 + \
            value.nanos // 1000000
    if name == "google.protobuf.Timestamp":
        return value.seconds * 1000 + value.nanos // 1000000
    return None


WELL_KNOWN = ("confluent.type.Decimal", "google.type.Date", "google.type.TimeOfDay",
              "google.protobuf.Timestamp")


def _value(field, value):
    if field.type != FD.TYPE_MESSAGE:
        return _scalar(field, value)
    if field.message_type.full_name in WELL_KNOWN:
        return _well_known(field, value)
    return as_json(value)


def _is_entry(field):
    return (field.label == FD.LABEL_REPEATED and field.type == FD.TYPE_MESSAGE
            and field.message_type.name.endswith("Entry")
            and [f.name for f in field.message_type.fields] == ["key", "value"])


def as_json(message):
    out = {}
    for field in message.DESCRIPTOR.fields:
        value = getattr(message, field.name)
        if _is_entry(field):
            out[field.name] = {e.key: _value(field.message_type.fields[1], e.value)
                               for e in value}
        elif field.label == FD.LABEL_REPEATED:
            out[field.name] = [_value(field, v) for v in value]
        elif field.type == FD.TYPE_MESSAGE or field.has_presence:
            # A message, or a proto3 `optional` scalar (format.protobuf.optional_for_nullables):
            # absent is NULL.
            out[field.name] = _value(field, value) if message.HasField(field.name) else None
        else:
            out[field.name] = _scalar(field, value)
    return out


def json_as_protobuf_reads(value, descriptor):
    """The JSON payload `value` (a dict) as a proto3 reader of `descriptor` sees it."""
    out = {}
    for field in descriptor.fields:
        v = value.get(field.name)
        if _is_entry(field):
            out[field.name] = {} if v is None else {
                k: (_zero(field.message_type.fields[1]) if x is None else x) for k, x in v.items()}
        elif field.label == FD.LABEL_REPEATED:
            out[field.name] = [] if v is None else [_json_scalar(field, x) for x in v]
        elif field.type == FD.TYPE_MESSAGE:
            if v is None or field.message_type.full_name in WELL_KNOWN:
                out[field.name] = v
            else:
                out[field.name] = json_as_protobuf_reads(v, field.message_type)
        elif v is None:
            out[field.name] = None if field.has_presence else _zero(field)
        else:
            out[field.name] = _json_scalar(field, v)
    return out


def _json_scalar(field, v):
    if field.type in (FD.TYPE_FLOAT, FD.TYPE_DOUBLE):
        return _floating(field, v)
    return v


def _zero(field):
    if field.type == FD.TYPE_MESSAGE:
        return None
    return ZERO.get(field.type, 0)
