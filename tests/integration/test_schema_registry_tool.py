"""The test Schema Registry itself (tests/tools/schema_registry.py through schema_registry.py's
SchemaRegistry): Confluent's REST answers and error codes, Java's canonical schema text, global
ids, compatibility levels, basic auth, TLS, the fault switches and the request log, and a round
trip through Debian's confluent_kafka.avro serializer read back by avro_records.decode.

It runs no pgcdc code and needs no PostgreSQL: the Avro tests trust this registry to behave as
Confluent's, so its behaviour is pinned here against the rules in the reference
(avro-schema-registry.md §5, §7, §8).
"""

import base64
import decimal
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

import pytest
import requests
from google.protobuf import descriptor_pb2

from avro_records import decode, json_equivalent
from pgcdc_harness import ROOT
from schema_registry import SchemaRegistry

sys.path.insert(0, os.path.join(ROOT, "tests", "tools"))
from avro_canonical import canonical, java_double  # noqa: E402

CT = {"Content-Type": "application/vnd.schemaregistry.v1+json"}

KEY = ('{"type":"record","name":"Key","namespace":"pg.public.orders","fields":'
       '[{"name":"id","type":"int"}],"connect.name":"pg.public.orders.Key"}')


# The value schema of the example table orders(id int primary key, amount numeric(10,2), note
# text, created timestamptz) as Confluent stores it after Debezium's AvroConverter registered it
# (reference avro-schema-registry.md §4, 2240 bytes): a fixed point of the canonicaliser.
ORDERS_VALUE = (
    '{"type":"record","name":"Envelope","namespace":"pg.public.orders","fields":[{"name":"befor'
    'e","type":["null",{"type":"record","name":"Value","fields":[{"name":"id","type":"int"},{"n'
    'ame":"amount","type":["null",{"type":"bytes","scale":2,"precision":10,"connect.version":1,'
    '"connect.parameters":{"scale":"2","connect.decimal.precision":"10"},"connect.name":"org.ap'
    'ache.kafka.connect.data.Decimal","logicalType":"decimal"}],"default":null},{"name":"note",'
    '"type":["null","string"],"default":null},{"name":"created","type":["null",{"type":"string"'
    ',"connect.version":1,"connect.name":"io.debezium.time.ZonedTimestamp"}],"default":null}],"'
    'connect.name":"pg.public.orders.Value"}],"default":null},{"name":"after","type":["null","V'
    'alue"],"default":null},{"name":"source","type":{"type":"record","name":"Source","namespace'
    '":"io.debezium.connector.postgresql","fields":[{"name":"version","type":"string"},{"name":'
    '"connector","type":"string"},{"name":"name","type":"string"},{"name":"ts_ms","type":"long"'
    '},{"name":"snapshot","type":[{"type":"string","connect.version":1,"connect.parameters":{"a'
    'llowed":"true,last,false,incremental"},"connect.default":"false","connect.name":"io.debezi'
    'um.data.Enum"},"null"],"default":"false"},{"name":"db","type":"string"},{"name":"sequence"'
    ',"type":["null","string"],"default":null},{"name":"ts_us","type":["null","long"],"default"'
    ':null},{"name":"ts_ns","type":["null","long"],"default":null},{"name":"schema","type":"str'
    'ing"},{"name":"table","type":"string"},{"name":"txId","type":["null","long"],"default":nul'
    'l},{"name":"lsn","type":["null","long"],"default":null},{"name":"xmin","type":["null","lon'
    'g"],"default":null}],"connect.name":"io.debezium.connector.postgresql.Source"}},{"name":"t'
    'ransaction","type":["null",{"type":"record","name":"block","namespace":"event","fields":[{'
    '"name":"id","type":"string"},{"name":"total_order","type":"long"},{"name":"data_collection'
    '_order","type":"long"}],"connect.version":1,"connect.name":"event.block"}],"default":null}'
    ',{"name":"op","type":"string"},{"name":"ts_ms","type":["null","long"],"default":null},{"na'
    'me":"ts_us","type":["null","long"],"default":null},{"name":"ts_ns","type":["null","long"],'
    '"default":null}],"connect.version":2,"connect.name":"pg.public.orders.Envelope"}')


def value_schema(*extra_fields):
    """A Debezium-like value: Value record (id, amount decimal, note), envelope referencing it."""
    value = {"type": "record", "name": "Value", "fields": [
        {"name": "id", "type": "int"},
        {"name": "amount", "type": ["null", {
            "type": "bytes", "scale": 2, "precision": 10, "connect.version": 1,
            "connect.parameters": {"scale": "2", "connect.decimal.precision": "10"},
            "connect.name": "org.apache.kafka.connect.data.Decimal", "logicalType": "decimal"}],
         "default": None},
        {"name": "note", "type": ["null", "string"], "default": None},
        *extra_fields],
        "connect.name": "pg.public.orders.Value"}
    return {"type": "record", "name": "Envelope", "namespace": "pg.public.orders", "fields": [
        {"name": "before", "type": ["null", value], "default": None},
        {"name": "after", "type": ["null", "Value"], "default": None},
        {"name": "op", "type": "string"},
        {"name": "ts_ms", "type": ["null", "long"], "default": None}],
        "connect.version": 1, "connect.name": "pg.public.orders.Envelope"}


def compact(schema):
    return json.dumps(schema, separators=(",", ":"))


class Client:
    """requests against one registry; every call returns (status, decoded body)."""

    def __init__(self, url, **kw):
        self.url = url
        self.kw = kw

    def call(self, method, path, body=None):
        r = requests.request(method, self.url + path, headers=CT, timeout=10,
                             data=None if body is None else json.dumps(body), **self.kw)
        assert r.headers["Content-Type"] == CT["Content-Type"]
        return r.status_code, r.json()

    def register(self, subject, schema, **extra):
        text = schema if isinstance(schema, str) else compact(schema)
        return self.call("POST", f"/subjects/{subject}/versions", {"schema": text, **extra})


@pytest.fixture
def reg():
    with SchemaRegistry() as r:
        yield r


@pytest.fixture
def client(reg):
    return Client(reg.url)


def test_register_ids_versions_and_lookup(reg, client):
    assert client.register("pg.public.orders-key", KEY) == (200, {"id": 1})
    v1 = value_schema()
    assert client.register("pg.public.orders-value", v1) == (200, {"id": 2})
    # Same text, same subject: the same id and no new version.
    assert client.register("pg.public.orders-value", v1) == (200, {"id": 2})
    # Same schema, other whitespace and order of the reserved keys: the same canonical text,
    # the same id. (Properties keep their document order, as in Java: see below.)
    order = ["fields", "namespace", "name", "type", "connect.version", "connect.name"]
    shuffled = json.dumps({k: v1[k] for k in order}, indent=3)
    assert client.register("pg.public.orders-value", shuffled) == (200, {"id": 2})
    # Same schema under another subject: the same global id, that subject's version 1.
    assert client.register("other-value", v1) == (200, {"id": 2})
    # Another order of the connect.* properties is another text: a new id and version, as on
    # Confluent (reference §5).
    props_swapped = {k: v1[k] for k in order[:4] + order[:3:-1]}
    assert client.register("swapped-value", props_swapped) == (200, {"id": 3})
    assert client.call("DELETE", "/subjects/swapped-value") == (200, [1])
    assert client.call("GET", "/subjects") == (200, ["other-value", "pg.public.orders-key",
                                                     "pg.public.orders-value"])
    assert client.call("GET", "/subjects/pg.public.orders-value/versions") == (200, [1])
    assert reg.subjects() == ["other-value", "pg.public.orders-key", "pg.public.orders-value"]
    assert reg.versions("pg.public.orders-value") == [1] and reg.versions("nope") == []

    stored = canonical(compact(v1))
    assert client.call("GET", "/schemas/ids/2") == (200, {"schema": stored})
    assert reg.schema(2) == stored and reg.schema(99) is None
    entry = {"subject": "pg.public.orders-value", "version": 1, "id": 2, "schema": stored}
    assert client.call("GET", "/subjects/pg.public.orders-value/versions/latest") == (200, entry)
    assert client.call("GET", "/subjects/pg.public.orders-value/versions/1") == (200, entry)
    assert client.call("POST", "/subjects/pg.public.orders-value",
                       {"schema": shuffled}) == (200, entry)
    assert client.call("GET", "/schemas/ids/2/versions") == (
        200, [{"subject": "other-value", "version": 1},
              {"subject": "pg.public.orders-value", "version": 1}])

    # The error answers, as Confluent gives them.
    assert client.call("GET", "/schemas/ids/7") == (404, {"error_code": 40403,
                                                          "message": "Schema 7 not found"})
    assert client.call("POST", "/subjects/missing-value", {"schema": KEY})[1]["error_code"] \
        == 40401
    assert client.call("POST", "/subjects/other-value", {"schema": KEY}) == (
        404, {"error_code": 40403, "message": "Schema not found"})
    assert client.call("GET", "/subjects/missing/versions") == (
        404, {"error_code": 40401, "message": "Subject 'missing' not found."})
    assert client.call("GET", "/subjects/other-value/versions/2") == (
        404, {"error_code": 40402, "message": "Version 2 not found."})
    assert client.call("GET", "/subjects/other-value/versions/zero")[1]["error_code"] == 42202


def test_debezium_envelope_is_stored_byte_for_byte(reg, client):
    assert len(ORDERS_VALUE) == 2240 and canonical(ORDERS_VALUE) == ORDERS_VALUE
    pretty = json.dumps(json.loads(ORDERS_VALUE), indent=2)
    assert client.register("pg.public.orders-value", pretty) == (200, {"id": 1})
    assert reg.schema(1) == ORDERS_VALUE
    assert client.register("pg.public.orders-value", ORDERS_VALUE) == (200, {"id": 1})
    assert reg.versions("pg.public.orders-value") == [1]


def test_canonical_text_is_javas(client):
    # Keys in Java's order whatever the input order; props in document order; "namespace" only
    # where it differs from the enclosing record's; a reused named type by its short name; a
    # primitive without props as a bare string; reserved keys dropped; Jackson's numbers.
    text = json.dumps({
        "fields": [
            {"type": {"type": "long"}, "name": "a", "default": 1.5e10, "doc": "d"},
            {"default": None, "name": "b", "type": ["null", {
                "namespace": "pg.x", "name": "In", "type": "record", "fields": [
                    {"name": "c", "type": {"type": "string", "name": "ignored", "z": 1,
                                           "a": 2}}]}]},
            {"name": "b2", "type": ["null", "pg.x.In"], "default": None, "order": "descending"},
            {"name": "e", "type": {"symbols": ["A", "B"], "name": "E", "type": "enum",
                                   "default": "A"}}],
        "name": "Top", "type": "record", "namespace": "pg.x", "connect.version": 2})
    want = ('{"type":"record","name":"Top","namespace":"pg.x","fields":['
            '{"name":"a","type":"long","doc":"d","default":1.5E10},'
            '{"name":"b","type":["null",{"type":"record","name":"In","fields":['
            '{"name":"c","type":{"type":"string","z":1,"a":2}}]}],"default":null},'
            '{"name":"b2","type":["null","In"],"default":null,"order":"descending"},'
            '{"name":"e","type":{"type":"enum","name":"E","symbols":["A","B"],"default":"A"}}],'
            '"connect.version":2}')
    assert canonical(text) == want
    assert client.register("c-value", text) == (200, {"id": 1})
    assert client.call("GET", "/schemas/ids/1")[1]["schema"] == want
    # A nested type in the null namespace inside a namespaced record says so.
    assert canonical('{"type":"record","name":"a.R","fields":[{"name":"f","type":{"type":'
                     '"fixed","name":"F","namespace":"","size":4}}]}') == (
        '{"type":"record","name":"R","namespace":"a","fields":[{"name":"f","type":'
        '{"type":"fixed","name":"F","namespace":"","size":4}}]}')
    assert [java_double(d) for d in (1.0, 0.001, 1e7, 1e-4, 123.25, -0.0)] == [
        "1.0", "0.001", "1.0E7", "1.0E-4", "123.25", "-0.0"]


def test_invalid_schemas_are_refused_with_42201(client):
    status, body = client.register("bad-value", '{"type":"record","name":"a-b","fields":[]}')
    assert (status, body["error_code"]) == (422, 42201)
    assert client.register("bad-value", "{not json")[1]["error_code"] == 42201
    assert client.register("bad-value", '{"type":"record","name":"R","fields":'
                                        '[{"name":"x","type":"Nope"}]}')[1]["error_code"] == 42201
    assert client.register("bad-value", KEY, schemaType="PROTOBUF")[0] == 422
    # A body type Confluent does not take (curl's default form type) is 415; application/json
    # is fine.
    form = requests.post(client.url + "/subjects/bad-value/versions", timeout=5,
                         data=json.dumps({"schema": KEY}),
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert (form.status_code, form.json()["error_code"]) == (415, 415)
    assert client.call("GET", "/subjects") == (200, [])
    plain = requests.post(client.url + "/subjects/ok-value/versions", json={"schema": KEY},
                          timeout=5)
    assert plain.json() == {"id": 1}


def test_validate_defaults():
    wrong_order = {"type": "record", "name": "R", "fields": [
        {"name": "a", "type": ["string", "null"], "default": None}]}
    right_order = {"type": "record", "name": "R", "fields": [
        {"name": "a", "type": ["null", "string"], "default": None},
        {"name": "b", "type": [{"type": "string", "connect.default": "false"}, "null"],
         "default": "false"},
        {"name": "c", "type": {"type": "int", "connect.default": 0}, "default": 0}]}
    # Off by default, as on Confluent: a wrong union order for the default is accepted.
    with SchemaRegistry() as reg:
        assert Client(reg.url).register("w", wrong_order) == (200, {"id": 1})
    with SchemaRegistry(validate_defaults=True) as reg:
        c = Client(reg.url)
        status, body = c.register("w", wrong_order)
        assert (status, body["error_code"]) == (422, 42201)
        assert "Invalid default for field a" in body["message"]
        assert c.register("w", right_order) == (200, {"id": 1})


def test_backward_compatibility_and_config(reg, client):
    subject = "pg.public.orders-value"
    assert client.call("GET", "/config") == (200, {"compatibilityLevel": "BACKWARD"})
    assert client.register(subject, value_schema()) == (200, {"id": 1})
    # ADD COLUMN nullable: compatible, a new version.
    nullable = {"name": "extra", "type": ["null", "string"], "default": None}
    assert client.register(subject, value_schema(nullable)) == (200, {"id": 2})
    # ADD COLUMN NOT NULL without a default: 409, error_code 409, Confluent's message.
    required = {"name": "must", "type": "int"}
    status, body = client.register(subject, value_schema(nullable, required))
    assert (status, body["error_code"]) == (409, 409)
    assert body["message"].startswith("Schema being registered is incompatible with an earlier "
                                      f"schema for subject \"{subject}\", details: [")
    assert "MISSING_UNION_BRANCH" in body["message"] or "READER_FIELD_MISSING_DEFAULT_VALUE" \
        in body["message"]
    assert client.call("POST", f"/compatibility/subjects/{subject}/versions/latest",
                       {"schema": compact(value_schema(nullable, required))}) == (
        200, {"is_compatible": False})
    assert client.call("POST", f"/compatibility/subjects/{subject}/versions/1",
                       {"schema": compact(value_schema())}) == (200, {"is_compatible": True})
    assert reg.versions(subject) == [1, 2]

    # Subject-level config: 40408 until set; defaultToGlobal falls back to the global level.
    assert client.call("GET", f"/config/{subject}")[1]["error_code"] == 40408
    assert client.call("GET", f"/config/{subject}?defaultToGlobal=true") == (
        200, {"compatibilityLevel": "BACKWARD"})
    assert client.call("PUT", f"/config/{subject}", {"compatibility": "NONE"}) == (
        200, {"compatibility": "NONE"})
    assert client.call("GET", f"/config/{subject}") == (200, {"compatibilityLevel": "NONE"})
    assert client.register(subject, value_schema(nullable, required)) == (200, {"id": 3})
    assert client.call("PUT", "/config", {"compatibility": "SIDEWAYS"})[1]["error_code"] == 42203
    assert client.call("PUT", "/config", {"compatibility": "full"}) == (
        200, {"compatibility": "FULL"})
    reg.set_compatibility("FORWARD")
    assert client.call("GET", "/config") == (200, {"compatibilityLevel": "FORWARD"})


def evolve(client, subject, *schemas):
    return [client.register(subject, {"type": "record", "name": "R", "fields": f})
            for f in schemas]


def test_levels_forward_full_transitive():
    i = {"name": "x", "type": "int"}
    long_ = {"name": "x", "type": "long"}
    opt = {"name": "y", "type": ["null", "string"], "default": None}
    with SchemaRegistry(compatibility="FORWARD") as reg:
        c = Client(reg.url)
        # int -> long is a promotion for a reader of the new schema only: FORWARD refuses it.
        assert [s for s, _ in evolve(c, "f", [i], [long_])] == [200, 409]
        reg.set_compatibility("BACKWARD")
        assert [s for s, _ in evolve(c, "b", [long_], [i])] == [200, 409]
        assert [s for s, _ in evolve(c, "b2", [i], [long_])] == [200, 200]
        reg.set_compatibility("FULL")
        assert [s for s, _ in evolve(c, "full", [i], [i, opt], [long_, opt])] == [200, 200, 409]
        # BACKWARD checks the latest only; BACKWARD_TRANSITIVE every version.
        reg.set_compatibility("BACKWARD")
        s = "t"
        assert [st for st, _ in evolve(c, s, [i], [])] == [200, 200]
        third = [{"name": "x", "type": "string", "default": "a"}]
        assert evolve(c, s, third)[0][0] == 200
        reg.set_compatibility("BACKWARD_TRANSITIVE")
        assert evolve(c, "t2", [i], [])[1][0] == 200
        assert evolve(c, "t2", third)[0][0] == 409  # string x cannot read v1's int x


def test_newer_incompatible_error_code():
    with SchemaRegistry(incompatible_error_code=40901) as reg:
        c = Client(reg.url)
        res = evolve(c, "s", [], [{"name": "x", "type": "int"}])
        assert res[1][0] == 409 and res[1][1]["error_code"] == 40901


def test_delete_subject(reg, client):
    client.register("d", KEY)
    assert client.call("DELETE", "/subjects/d?permanent=true")[1]["error_code"] == 40405
    assert client.call("DELETE", "/subjects/d") == (200, [1])
    assert client.call("GET", "/subjects") == (200, [])
    assert client.call("GET", "/subjects?deleted=true") == (200, ["d"])
    assert client.call("GET", "/subjects/d/versions")[1]["error_code"] == 40401
    # Registering again: the same global id, and the numbering goes on after the deleted one.
    assert client.register("d", KEY) == (200, {"id": 1})
    assert reg.versions("d") == [2]
    assert client.call("DELETE", "/subjects/d") == (200, [2])
    assert client.call("DELETE", "/subjects/d?permanent=true") == (200, [1, 2])
    assert client.call("DELETE", "/subjects/d")[1]["error_code"] == 40401


def test_request_log_and_registrations(reg, client):
    client.register("a-value", KEY)
    client.call("GET", "/schemas/ids/1")
    client.call("GET", "/schemas/ids/5")
    assert reg.requests() == [
        {"method": "POST", "path": "/subjects/a-value/versions", "status": 200},
        {"method": "GET", "path": "/schemas/ids/1", "status": 200},
        {"method": "GET", "path": "/schemas/ids/5", "status": 404}]
    assert reg.registrations() == reg.requests()[:1]
    reg.clear_requests()
    assert reg.requests() == []


def test_fail_hang_stop_resume(reg, client):
    reg.fail_next(2)
    assert client.register("f", KEY) == (500, {"error_code": 50001, "message":
                                               "Error in the backend data store (injected by the "
                                               "test registry)"})
    reg_status = client.call("GET", "/subjects")
    assert reg_status[0] == 500
    assert client.register("f", KEY) == (200, {"id": 1})
    reg.fail_next(1, 503)
    assert client.call("GET", "/subjects")[0] == 503
    assert client.call("GET", "/subjects") == (200, ["f"])

    reg.hang_next(2, 1.0)
    with pytest.raises(requests.exceptions.ReadTimeout):  # what a client's read timeout sees
        requests.get(reg.url + "/subjects", timeout=0.3)
    started = time.monotonic()
    assert client.call("GET", "/subjects") == (200, ["f"])  # slow, but answered
    assert time.monotonic() - started >= 0.9
    started = time.monotonic()
    assert client.call("GET", "/subjects") == (200, ["f"])  # the third is not held
    assert time.monotonic() - started < 0.9

    kept = http.client.HTTPConnection("127.0.0.1", reg.port, timeout=5)
    kept.request("GET", "/subjects")
    assert kept.getresponse().read() == b'["f"]'
    reg.stop_listening()
    # A kept-alive connection is dropped too: the registry is gone, not half there.
    with pytest.raises((http.client.HTTPException, ConnectionError)):
        kept.request("GET", "/subjects")
        kept.getresponse().read()
    kept.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", reg.port), timeout=2).close()
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(reg.url + "/subjects", timeout=2)
    reg.resume()
    # Same port, same state.
    assert client.call("GET", "/subjects/f/versions") == (200, [1])
    assert [r["status"] for r in reg.requests()] == [500, 500, 200, 503, 200] + [200] * 5


def test_basic_auth():
    with SchemaRegistry(user="pgcdc", password="s3cret") as reg:
        assert reg.url.startswith("http://127.0.0.1:")
        status, body = Client(reg.url).call("GET", "/subjects")
        assert (status, body["error_code"]) == (401, 401)
        assert Client(reg.url, auth=("pgcdc", "wrong")).call("GET", "/subjects")[0] == 401
        good = Client(reg.url, auth=("pgcdc", "s3cret"))
        assert good.register("x", KEY) == (200, {"id": 1})
        # Confluent's clients take the credentials from the URL's userinfo.
        with_userinfo = reg.url.replace("http://", "http://pgcdc:s3cret@")
        assert requests.get(with_userinfo + "/subjects", timeout=5).json() == ["x"]


def test_tls(monkeypatch):
    # requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override a Session's own `verify`
    # (psf/requests#3829), which is how confluent_kafka.avro passes ssl.ca.location: with them
    # set, as on some machines, the client would not trust the test CA.
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    with tempfile.TemporaryDirectory() as d:
        cert, key = os.path.join(d, "reg.crt"), os.path.join(d, "reg.key")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", key, "-out", cert], check=True, capture_output=True)
        with SchemaRegistry(tls_cert=cert, tls_key=key) as reg:
            assert reg.url.startswith("https://127.0.0.1:")
            with pytest.raises(requests.exceptions.SSLError):
                requests.get(reg.url + "/subjects", timeout=5)
            c = Client(reg.url, verify=cert)
            assert c.register("tls-value", KEY) == (200, {"id": 1})
            assert c.call("GET", "/subjects") == (200, ["tls-value"])
            # Plain HTTP to the TLS port gets no answer from the registry.
            with pytest.raises(requests.exceptions.ConnectionError):
                requests.get(reg.url.replace("https", "http") + "/subjects", timeout=5)
            assert reg.requests()[-1]["path"] == "/subjects"
            # Confluent's Python client and avro_records.decode trust the registry's CA.
            from confluent_kafka import avro as ck_avro
            from confluent_kafka.avro import CachedSchemaRegistryClient
            from confluent_kafka.avro.serializer.message_serializer import MessageSerializer
            serializer = MessageSerializer(CachedSchemaRegistryClient(
                {"url": reg.url, "ssl.ca.location": cert}))
            raw = serializer.encode_record_with_schema("tls", ck_avro.loads(KEY), {"id": 7},
                                                       is_key=True)
            assert decode(raw, reg.url, ca_location=cert) == (1, {"id": 7})


def test_round_trip_through_confluent_kafka_avro(reg, client):
    from confluent_kafka import avro as ck_avro
    from confluent_kafka.avro import CachedSchemaRegistryClient
    from confluent_kafka.avro.serializer.message_serializer import MessageSerializer

    schema = ck_avro.loads(compact(value_schema()))
    serializer = MessageSerializer(CachedSchemaRegistryClient({"url": reg.url}))
    row = {"id": 1, "amount": decimal.Decimal("12.34"), "note": "first order"}
    record = {"before": None, "after": row, "op": "c", "ts_ms": 1764100127887}
    raw = serializer.encode_record_with_schema("pg.public.orders", schema, record)
    # python-avro's printer reorders keys; the registry stores Java's text all the same.
    assert reg.registrations() == [{"method": "POST",
                                    "path": "/subjects/pg.public.orders-value/versions",
                                    "status": 200}]
    assert reg.schema(1) == canonical(compact(value_schema()))
    assert client.register("pg.public.orders-value", value_schema()) == (200, {"id": 1})
    assert raw[:5] == b"\x00\x00\x00\x00\x01"
    # after: branch 1, id zig-zag 1, amount: branch 1, 2 bytes 04 d2 (unscaled 1234).
    assert raw[5:12] == bytes([0x00, 0x02, 0x02, 0x02, 0x04, 0x04, 0xD2])

    schema_id, value = decode(raw, reg.url)
    assert (schema_id, value) == (1, record)
    assert json_equivalent(value, reg.schema(1)) == {
        "before": None, "after": {"id": 1, "amount": "BNI=", "note": "first order"},
        "op": "c", "ts_ms": 1764100127887}
    assert json_equivalent(value, reg.schema(1), decimal=lambda d, s, p: str(d))["after"][
        "amount"] == "12.34"
    # The strict decoder refuses trailing bytes; a wrong magic byte is refused too.
    with pytest.raises(AssertionError, match="bytes left"):
        decode(raw + b"\x00", reg.url)
    with pytest.raises(AssertionError, match="magic"):
        decode(b"\x01" + raw[1:], reg.url)


def test_registry_survives_concurrent_clients(reg):
    errors = []

    def worker(n):
        try:
            c = Client(reg.url)
            for k in range(5):
                status, _ = c.register(f"s{n}", {"type": "record", "name": "R", "fields": [
                    {"name": f"f{j}", "type": ["null", "int"], "default": None}
                    for j in range(k + 1)]})
                assert status == 200
        except Exception as e:  # noqa: BLE001 (reported below)
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    # Four subjects with the same five schemas: five global ids, five versions each.
    assert reg.subjects() == ["s0", "s1", "s2", "s3"]
    assert all(reg.versions(f"s{n}") == [1, 2, 3, 4, 5] for n in range(4))
    assert reg.schema(5) is not None and reg.schema(6) is None
    assert reg.stderr_text() == ""


def test_json_equivalent_of_logical_types():
    # time.precision.mode=connect: Connect's Date/Time/Timestamp are Avro logical types; the JSON
    # payload holds days / ms since the epoch / midnight. Bytes are base64 in JSON.
    schema = {"type": "record", "name": "R", "fields": [
        {"name": "d", "type": {"type": "int", "logicalType": "date"}},
        {"name": "t", "type": {"type": "int", "logicalType": "time-millis"}},
        {"name": "ts", "type": ["null", {"type": "long", "logicalType": "timestamp-millis"}]},
        {"name": "b", "type": "bytes"},
        {"name": "neg", "type": {"type": "bytes", "logicalType": "decimal", "precision": 5,
                                 "scale": 1}},
        {"name": "m", "type": {"type": "map", "values": "long"}},
        {"name": "e", "type": {"type": "enum", "name": "E", "symbols": ["x", "y"]}}]}
    import datetime
    value = {"d": datetime.date(2025, 11, 25),
             "t": datetime.time(1, 2, 3, 4000),
             "ts": datetime.datetime(2025, 11, 25, 19, 48, 47, 887000,
                                     tzinfo=datetime.timezone.utc),
             "b": b"\x00\xff", "neg": decimal.Decimal("-12.8"), "m": {"k": 1}, "e": "y"}
    assert json_equivalent(value, schema) == {
        "d": 20417, "t": 3723004, "ts": 1764100127887, "b": "AP8=",
        "neg": "gA==",  # unscaled -128: the single byte 0x80
        "m": {"k": 1}, "e": "y"}
    assert json_equivalent(value, schema, binary=lambda b: b.hex())["b"] == "00ff"


def test_json_schemas_ids_validation_and_levels(reg, client):
    """schemaType JSON (format json_schema): Jackson's compact text, one id per (type, text),
    Draft 7 meta-schema validation, new versions at level NONE only, one type per subject."""
    doc = {"type": "object", "title": "pg.public.t.Key",
           "properties": {"id": {"type": "integer", "connect.index": 0, "connect.type": "int32"}}}
    assert client.register("t-key", json.dumps(doc, indent=2), schemaType="JSON") == \
        (200, {"id": 1})
    # The same document with other whitespace: the same text and id; key order is kept.
    assert client.register("t-key", compact(doc), schemaType="JSON") == (200, {"id": 1})
    status, body = client.call("GET", "/schemas/ids/1")
    assert status == 200 and body["schemaType"] == "JSON"
    assert body["schema"] == compact(doc)
    # The same text as AVRO is another schema type: refused as Avro (no "type":"object").
    assert client.register("other-key", compact(doc))[0] == 422
    # Not JSON, or not a JSON Schema (Draft 7 meta-schema): 422 / 42201.
    assert client.register("t-key", "{oops", schemaType="JSON")[1]["error_code"] == 42201
    assert client.register("t-key", '{"type": 5}', schemaType="JSON")[1]["error_code"] == 42201
    # A second version under the default BACKWARD: refused (not modelled); granted at NONE.
    doc2 = dict(doc, title="pg.public.t.Key2")
    status, body = client.register("t-key", compact(doc2), schemaType="JSON")
    assert (status, body["error_code"]) == (409, 409)
    reg.set_compatibility("NONE")
    assert client.register("t-key", compact(doc2), schemaType="JSON") == (200, {"id": 2})
    assert client.call("GET", "/schemas/types") == (200, ["AVRO", "JSON", "PROTOBUF"])


def test_protobuf_schemas_ids_validation_and_levels(reg, client):
    """schemaType PROTOBUF (format protobuf): the text as sent once protoc compiles it against
    the registry's known types (confluent/*, google/type/*, google/protobuf/*, never registered
    references), one id per (type, text), new versions at level NONE only."""
    text = ('syntax = "proto3";\npackage pg.public.t;\n\nimport "confluent/type/decimal.proto";\n'
            '\nmessage Key {\n  int32 id = 1 [(confluent.field_meta) = {\n    params: [\n'
            '      {\n        key: "connect.type",\n        value: "int16"\n      }\n    ]\n'
            '  }];\n  confluent.type.Decimal d = 2;\n}\n')
    assert client.register("t-key", text, schemaType="PROTOBUF") == (200, {"id": 1})
    assert client.register("t-key", text, schemaType="PROTOBUF") == (200, {"id": 1})
    status, body = client.call("GET", "/schemas/ids/1")
    assert status == 200 and body == {"schema": text, "schemaType": "PROTOBUF"}
    # ?format=serialized (Confluent's Node and Go deserializers): the FileDescriptorProto, base64,
    # with the known types as imports, by id and by subject version; other types answer the text.
    for path in ("/schemas/ids/1", "/subjects/t-key/versions/1"):
        status, body = client.call("GET", path + "?format=serialized")
        assert status == 200 and body["schemaType"] == "PROTOBUF", (path, body)
        fd = descriptor_pb2.FileDescriptorProto.FromString(base64.b64decode(body["schema"]))
        assert fd.package == "pg.public.t" and [m.name for m in fd.message_type] == ["Key"]
        assert [f.type_name for f in fd.message_type[0].field] == ["", ".confluent.type.Decimal"]
        assert "confluent/type/decimal.proto" in fd.dependency, fd.dependency
    # protoc's complaint, as a 422 / 42201: an unknown type, a syntax error.
    status, body = client.register("t-key", text.replace("int32 id", "Nope id"),
                                   schemaType="PROTOBUF")
    assert (status, body["error_code"]) == (422, 42201) and '"Nope" is not defined' in \
        body["message"], body
    assert client.register("t-key", "message {", schemaType="PROTOBUF")[0] == 422
    # A second version under the default BACKWARD: refused (not modelled); granted at NONE.
    text2 = text.replace("confluent.type.Decimal d = 2;", "string d = 2;")
    status, body = client.register("t-key", text2, schemaType="PROTOBUF")
    assert (status, body["error_code"]) == (409, 409)
    reg.set_compatibility("NONE")
    assert client.register("t-key", text2, schemaType="PROTOBUF") == (200, {"id": 2})
