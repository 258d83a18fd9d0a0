"""Decoding records with Confluent's Node client (@confluentinc/schemaregistry from npm, in
tests/integration/sr_node_reader): the third family of consumers the registry formats promise,
beside Confluent's Python client and avro-c. The Node side fetches each record's schema by its id
and deserializes as a Node consumer would (sr_node_reader/decode.mjs); these helpers feed it the
records and read its answers back.

node_decode returns, per record, {"key_id", "value_id", "key", "value"}: the decoded key and
value as JSON, exact (Avro longs as ints, bytes as base64); for Protobuf, the message written
plainly (decode.mjs's header), which plain_message writes for a python3-protobuf message in the
same way, so the two clients' readings of the same bytes compare field for field.
"""

import base64
import json
import math
import os
import subprocess

from google.protobuf.descriptor import FieldDescriptor as FD

HERE = os.path.dirname(os.path.abspath(__file__))
READER_DIR = os.path.join(HERE, "sr_node_reader")
MAX_SAFE = 2 ** 53


def node_decode(fmt, registry_url, records):
    """Each of `records` (pgcdc_harness.Record) decoded by Confluent's Node deserializer of
    `fmt` (avro, json or protobuf) against the registry at `registry_url`, in order."""
    if not os.path.isdir(os.path.join(READER_DIR, "node_modules", "@confluentinc")):
        raise RuntimeError("@confluentinc/schemaregistry is missing: run scripts/install-deps.sh")

    def b64(raw):
        return None if raw is None else base64.b64encode(raw).decode()

    feed = "".join(json.dumps({"topic": r.topic, "key": b64(r.raw_key),
                               "value": b64(r.raw_value)}) + "\n" for r in records)
    out = subprocess.run(["node", os.path.join(READER_DIR, "decode.mjs"), fmt, registry_url],
                         input=feed, capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0, f"the Node client did not decode: {out.stderr.strip()}"
    decoded = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(decoded) == len(records), (len(decoded), len(records), out.stderr)
    return decoded


def as_node_reads(value):
    """A JSON value as JSON.parse gives it to a Node consumer: integers beyond 2^53 as the
    double nearest them (a JSON Schema payload's int64 columns and timestamps in ns, Debezium's
    as much as pgcdc's). Applied to both sides of a comparison, since the Node side's shortest
    printing of such a double reads back in Python as a different, equally rounded integer."""
    if isinstance(value, dict):
        return {k: as_node_reads(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_node_reads(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_SAFE:
        return float(value)
    return value


INT64 = {FD.TYPE_INT64, FD.TYPE_UINT64, FD.TYPE_SINT64, FD.TYPE_FIXED64, FD.TYPE_SFIXED64}


def plain_message(message):
    """A python3-protobuf message as decode.mjs writes the Node client's: the fields present
    (ListFields), under their proto names; 64-bit integers as strings, bytes as base64, NaN and
    the infinities as strings, maps as objects, nested messages likewise."""
    out = {}
    for field, value in message.ListFields():
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            value_field = field.message_type.fields_by_name["value"]
            out[field.name] = {str(k): _plain(value_field, v) for k, v in value.items()}
        elif field.label == FD.LABEL_REPEATED:
            out[field.name] = [_plain(field, v) for v in value]
        else:
            out[field.name] = _plain(field, value)
    return out


def _plain(field, value):
    if field.type == FD.TYPE_MESSAGE:
        return plain_message(value)
    if field.type in INT64:
        return str(value)
    if field.type == FD.TYPE_BYTES:
        return base64.b64encode(value).decode()
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return value
