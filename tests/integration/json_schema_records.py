"""Reading records written in Confluent's JSON Schema wire format (format.type json_schema) with
clients pgcdc did not write: Debian's Confluent Python client fetches the schema of each record's
id from the registry (SchemaRegistryClient) and its JSONDeserializer validates the payload against
it with python3-jsonschema."""

import json
import struct

import jsonschema
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.json_schema import JSONDeserializer
from confluent_kafka.serialization import SerializationError


class JsonSchemaDecoder:
    """Decodes Confluent-framed JSON Schema records: the magic byte, the id, then the payload,
    validated against the registry's schema for that id by Confluent's JSONDeserializer."""

    def __init__(self, url):
        self.client = SchemaRegistryClient({"url": url})
        self.deserializers = {}

    def decode(self, raw):
        if raw is None:
            return None, None
        assert raw[:1] == b"\x00" and len(raw) > 5, f"not Confluent-framed: {raw[:8]!r}"
        schema_id = struct.unpack(">i", raw[1:5])[0]
        if schema_id not in self.deserializers:
            schema = self.client.get_schema(schema_id)
            assert schema.schema_type == "JSON", schema.schema_type
            self.deserializers[schema_id] = (JSONDeserializer(schema.schema_str),
                                             json.loads(schema.schema_str))
        deserializer, schema = self.deserializers[schema_id]
        try:
            return schema_id, deserializer(raw, None)
        except (SerializationError, jsonschema.ValidationError):
            # Name the failing field, briefly (the message alone repeats the whole record).
            errors = jsonschema.Draft7Validator(schema).iter_errors(json.loads(raw[5:]))
            deepest = [(list(e.absolute_path), e.message[:200])
                       for err in errors for e in (err.context or [err])]
            raise AssertionError(f"schema {schema_id} refuses the payload: {deepest[:6]}") \
                from None
