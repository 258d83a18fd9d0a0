"""Reading pgcdc's Avro records back with decoders pgcdc did not write, and comparing them with
the JSON events of the same change (reference avro-schema-registry.md §1, §9).

decode(raw, registry_url) checks Confluent's framing (magic 0x00, 4-byte big-endian schema id)
and decodes the datum twice, independently:
  1. Debian's confluent_kafka.avro (the legacy API: CachedSchemaRegistryClient +
     MessageSerializer.decode_message), which fetches the writer schema by id as Confluent's
     deserializers do. (confluent_kafka.schema_registry.avro needs fastavro: not in Debian.)
  2. a strict python3-avro DatumReader over the schema text fetched by id with requests, which
     also asserts that the datum ends exactly at the end of the record: no bytes left over.
Both must agree; the value (logical types as python-avro gives them: Decimal, datetime, ...) and
the id are returned. encode(schema_id, registry_url, value) is the reverse, by python3-avro.

json_equivalent(value, schema) turns such a value into what Debezium's JSON payload holds for
the same record, so `json_equivalent(avro_value, schema) == json_event["payload"]` compares an
Avro event with the JSON event of the same change:
  * records -> dicts, unions -> the branch's value, arrays/maps/enums/strings/numbers as is;
  * bytes and fixed -> base64 text, as Kafka Connect's JsonConverter writes BYTES
    (binary.handling.mode=bytes; other binary modes are strings already in both formats);
  * decimal logical type -> JsonConverter's default decimal.format=BASE64: base64 of the
    minimal two's-complement big-endian unscaled value (decimal.handling.mode=precise).
    With decimal.format=NUMERIC, or to compare differently, pass decimal=lambda d, scale,
    precision: ... (and binary=lambda b: ... for bytes): the two hooks are the only places where
    the JSON form depends on converter settings;
  * date / time-millis / time-micros / timestamp-millis / timestamp-micros logical types
    (time.precision.mode=connect, or a schema that uses them) -> the integer Connect's
    JsonConverter writes: days, ms or µs since the epoch / midnight;
  * uuid logical type -> the string.
Debezium's own semantic types (io.debezium.time.*, Json, Uuid, VariableScaleDecimal) are plain
Avro types with connect.name, so they need nothing special: a VariableScaleDecimal is the
record {"scale", "value": base64}, as in the JSON payload.
Module functions; the per-URL clients are cached in a dict (not for concurrent first use).
"""

import base64
import datetime
import decimal
import io
import json
import struct

import avro.io
import avro.schema
import requests
from confluent_kafka.avro import CachedSchemaRegistryClient
from confluent_kafka.avro.serializer.message_serializer import MessageSerializer

MAGIC = 0
HEADER = struct.Struct(">bi")  # magic byte, schema id (signed 32-bit big-endian)
EPOCH_DATE = datetime.date(1970, 1, 1)
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)

_serializers = {}


def _serializer(registry_url, ca_location):
    key = (registry_url, ca_location)
    if key not in _serializers:
        conf = {"url": registry_url}
        if ca_location:
            conf["ssl.ca.location"] = ca_location
        client = CachedSchemaRegistryClient(conf)
        if ca_location:
            # requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override the session's `verify`
            # (psf/requests#3829): ignore the environment so that the test CA is what counts.
            client._session.trust_env = False
        _serializers[key] = MessageSerializer(client)
    return _serializers[key]


def schema_text(registry_url, schema_id, ca_location=None):
    """GET /schemas/ids/{id} -> the registered text (credentials may be in the URL)."""
    r = requests.get(f"{registry_url.rstrip('/')}/schemas/ids/{schema_id}", timeout=10,
                     verify=ca_location or True)
    r.raise_for_status()
    return r.json()["schema"]


def strict_decode(raw, writer_schema):
    """python3-avro's DatumReader over raw[5:] with `writer_schema` (a parsed Schema); asserts
    that the datum uses every byte."""
    payload = raw[HEADER.size:]
    buf = io.BytesIO(payload)
    value = avro.io.DatumReader(writer_schema).read(avro.io.BinaryDecoder(buf))
    left = len(payload) - buf.tell()
    assert left == 0, f"{left} bytes left after the Avro datum ({len(payload)} bytes)"
    return value


def decode(raw, registry_url, ca_location=None):
    """(schema_id, value) of one Confluent-framed Avro record (a Kafka key or value), decoded by
    confluent_kafka.avro and by a strict DatumReader, which must agree. AssertionError when the
    framing is wrong, bytes are left over or the decoders disagree."""
    assert raw is not None and len(raw) >= HEADER.size, f"not a Confluent Avro record: {raw!r}"
    magic, schema_id = HEADER.unpack_from(raw)
    assert magic == MAGIC, f"magic byte {magic}, expected 0"
    by_confluent = _serializer(registry_url, ca_location).decode_message(raw)
    writer = avro.schema.parse(schema_text(registry_url, schema_id, ca_location))
    by_avro = strict_decode(raw, writer)
    assert by_confluent == by_avro, (f"confluent_kafka.avro and DatumReader disagree:\n"
                                     f"{by_confluent!r}\n{by_avro!r}")
    return schema_id, by_avro


def encode(schema_id, registry_url, value, ca_location=None):
    """`value` as a Confluent-framed Avro record under the registered schema `schema_id`, written
    by python3-avro's DatumWriter: what a record of that value must be, byte for byte (Avro's
    binary encoding of a given schema and value is unique)."""
    writer = avro.schema.parse(schema_text(registry_url, schema_id, ca_location))
    buf = io.BytesIO()
    buf.write(HEADER.pack(MAGIC, schema_id))
    avro.io.DatumWriter(writer).write(value, avro.io.BinaryEncoder(buf))
    return buf.getvalue()


def decimal_base64(value, scale, precision):
    """JsonConverter's decimal.format=BASE64: the unscaled value's minimal two's-complement
    big-endian bytes, base64-encoded."""
    unscaled = int(value.scaleb(scale).to_integral_value(rounding=decimal.ROUND_HALF_EVEN))
    length = max(1, (unscaled + (unscaled < 0)).bit_length() // 8 + 1)
    return base64.b64encode(unscaled.to_bytes(length, "big", signed=True)).decode()


def bytes_base64(value):
    return base64.b64encode(bytes(value)).decode()


def _as_schema(schema):
    if isinstance(schema, avro.schema.Schema):
        return schema
    return avro.schema.parse(schema if isinstance(schema, str) else json.dumps(schema))


def json_equivalent(value, schema, decimal=decimal_base64, binary=bytes_base64):
    """`value` (as decode() returns it) in the form of Debezium's JSON payload. `schema` is the
    writer schema: a parsed avro Schema, its JSON text, or its dict. decimal(Decimal, scale,
    precision) and binary(bytes) give the JSON form of decimals and bytes (see the module
    comment)."""
    return _convert(value, _as_schema(schema), decimal, binary)


def _convert(value, schema, dec, binary):
    if isinstance(schema, avro.schema.UnionSchema):
        return _convert(value, _branch(value, schema), dec, binary)
    if value is None:
        return None
    if isinstance(schema, avro.schema.RecordSchema):
        return {f.name: _convert(value.get(f.name), f.type, dec, binary) for f in schema.fields}
    if isinstance(schema, avro.schema.ArraySchema):
        return [_convert(v, schema.items, dec, binary) for v in value]
    if isinstance(schema, avro.schema.MapSchema):
        return {k: _convert(v, schema.values, dec, binary) for k, v in value.items()}
    if isinstance(schema, (avro.schema.BytesDecimalSchema, avro.schema.FixedDecimalSchema)):
        return dec(value, schema.get_prop("scale") or 0, schema.get_prop("precision"))
    if isinstance(value, datetime.datetime):
        micros = (value - EPOCH) // datetime.timedelta(microseconds=1)
        return micros // 1000 if isinstance(schema, avro.schema.TimestampMillisSchema) else micros
    if isinstance(value, datetime.date):
        return (value - EPOCH_DATE).days
    if isinstance(value, datetime.time):
        micros = ((value.hour * 60 + value.minute) * 60 + value.second) * 1_000_000 \
            + value.microsecond
        return micros // 1000 if isinstance(schema, avro.schema.TimeMillisSchema) else micros
    if isinstance(value, (bytes, bytearray)):
        return binary(value)
    return value


def _branch(value, union):
    """The union branch `value` was written with: null for None, else the first branch that
    validates it (python-avro's own rule when it writes)."""
    for branch in union.schemas:
        if value is None:
            if branch.type == "null":
                return branch
        elif branch.type != "null" and avro.io.validate(branch, value):
            return branch
    raise AssertionError(f"no branch of {union} holds {value!r}")


__all__ = ["decode", "strict_decode", "schema_text", "json_equivalent", "decimal_base64",
           "bytes_base64"]
