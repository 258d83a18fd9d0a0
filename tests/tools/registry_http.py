"""HTTP for the test Schema Registry: Confluent's REST routes over a registry_state.Registry,
plus what tests need around them: basic auth, a request log and fault switches (Faults).

One Handler instance per request, on the request's own thread (ThreadingHTTPServer); all shared
state lives in the Registry, Faults and RequestLog objects the server carries, each with its
own lock. Every answer is JSON with Content-Type application/vnd.schemaregistry.v1+json;
errors are {"error_code": int, "message": str} as Confluent sends them.
"""

import base64
import json
import re
import socket
import ssl
import sys
import threading
import traceback
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from proto_compile import file_descriptor
from registry_state import RegistryError

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"
# What Confluent's resources @Consume; anything else (curl's default form type, text/plain) is
# 415. No Content-Type at all reads as application/octet-stream, as in Jersey.
ACCEPTED_BODY_TYPES = {CONTENT_TYPE, "application/vnd.schemaregistry+json", "application/json",
                       "application/octet-stream"}


class Faults:
    """FAIL N [CODE] and HANG N SECONDS from the control channel: each applies to the next N
    requests (any route), counted down as requests arrive."""

    def __init__(self):
        self.lock = threading.Lock()
        self.fail_left = 0
        self.fail_status = 500
        self.hang_left = 0
        self.hang_seconds = 0.0

    def fail(self, n, status=500):
        with self.lock:
            self.fail_left, self.fail_status = n, status

    def hang(self, n, seconds):
        with self.lock:
            self.hang_left, self.hang_seconds = n, seconds

    def take(self):
        """(seconds to sleep first, status to fail with or None) for the request arriving now."""
        with self.lock:
            sleep = 0.0
            if self.hang_left > 0:
                self.hang_left -= 1
                sleep = self.hang_seconds
            status = None
            if self.fail_left > 0:
                self.fail_left -= 1
                status = self.fail_status
            return sleep, status


class RequestLog:
    """Every answered request: {"method", "path" (with the query), "status"}, in answer order."""

    def __init__(self):
        self.lock = threading.Lock()
        self.entries = []

    def add(self, method, path, status):
        with self.lock:
            self.entries.append({"method": method, "path": path, "status": status})

    def snapshot(self):
        with self.lock:
            return list(self.entries)

    def clear(self):
        with self.lock:
            self.entries.clear()


class RegistryServer(ThreadingHTTPServer):
    """The listening socket and the connections it accepted (kept so that STOP can drop them:
    a registry that went away does not go on answering on kept-alive connections).
    allow_reuse_address: RESUME binds the same port again at once."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, registry, faults, log, credentials=None):
        super().__init__(address, Handler)
        self.registry = registry
        self.faults = faults
        self.log = log
        self.credentials = credentials  # (user, password) or None
        self.connections = set()
        self.connections_lock = threading.Lock()

    def process_request(self, request, client_address):
        with self.connections_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def drop_connections(self):
        """Shuts down every open connection (their threads then end on the closed socket)."""
        with self.connections_lock:
            for conn in list(self.connections):
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def handle_error(self, request, client_address):
        """A client that went away (or a connection STOP dropped) is no error; anything else
        is printed to stderr, which the test fixture can show."""
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, ssl.SSLError, OSError)):
            return
        super().handle_error(request, client_address)


SEGMENT = r"([^/]+)"
# (method, compiled path pattern, Handler method name); matched in order.
ROUTES = [(m, re.compile("^" + p + "$"), h) for m, p, h in [
    ("GET", r"/subjects", "list_subjects"),
    ("POST", rf"/subjects/{SEGMENT}/versions", "register"),
    ("GET", rf"/subjects/{SEGMENT}/versions", "list_versions"),
    ("GET", rf"/subjects/{SEGMENT}/versions/{SEGMENT}", "get_version"),
    ("GET", rf"/subjects/{SEGMENT}/versions/{SEGMENT}/schema", "get_version_schema"),
    ("POST", rf"/subjects/{SEGMENT}", "lookup"),
    ("DELETE", rf"/subjects/{SEGMENT}", "delete_subject"),
    ("GET", rf"/schemas/ids/{SEGMENT}", "get_by_id"),
    ("GET", rf"/schemas/ids/{SEGMENT}/schema", "get_by_id_raw"),
    ("GET", rf"/schemas/ids/{SEGMENT}/versions", "get_id_versions"),
    ("GET", r"/schemas/types", "schema_types"),
    ("GET", r"/config", "get_global_config"),
    ("PUT", r"/config", "put_global_config"),
    ("GET", rf"/config/{SEGMENT}", "get_subject_config"),
    ("PUT", rf"/config/{SEGMENT}", "put_subject_config"),
    ("DELETE", rf"/config/{SEGMENT}", "delete_subject_config"),
    ("POST", rf"/compatibility/subjects/{SEGMENT}/versions/{SEGMENT}", "compatibility"),
    ("GET", r"/", "root"),
]]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Confluent's Jetty and its clients use
    server_version = "pgcdc-test-schema-registry"

    def log_message(self, *args):  # the request log replaces http.server's stderr lines
        pass

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def dispatch(self, method):
        url = urllib.parse.urlsplit(self.path)
        self.query = dict(urllib.parse.parse_qsl(url.query))
        body_bytes = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        sleep, fail_status = self.server.faults.take()
        if sleep:
            time.sleep(sleep)
        try:
            if fail_status is not None:
                raise RegistryError(fail_status, 50001, "Error in the backend data store "
                                                        "(injected by the test registry)")
            if not self.authorized():
                raise RegistryError(401, 401, "Unauthorized")
            status, reply = self.route(method, url.path, body_bytes)
        except RegistryError as e:
            status, reply = e.status, {"error_code": e.error_code, "message": e.message}
        except Exception as e:  # a bug in the test registry: visible, as a 500 and on stderr
            traceback.print_exc()
            status, reply = 500, {"error_code": 50001, "message": f"test registry bug: {e!r}"}
        self.answer(status, reply, method)

    def authorized(self):
        creds = self.server.credentials
        if creds is None:
            return True
        header = self.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return (user, password) == creds

    def route(self, method, path, body_bytes):
        path = path.rstrip("/") or "/"
        matched_path = False
        for route_method, pattern, name in ROUTES:
            m = pattern.match(path)
            if not m:
                continue
            matched_path = True
            if route_method != method:
                continue
            args = [urllib.parse.unquote(a) for a in m.groups()]
            body = None
            if method in ("POST", "PUT"):
                media = (self.headers.get("Content-Type") or "application/octet-stream")
                if media.split(";")[0].strip().lower() not in ACCEPTED_BODY_TYPES:
                    raise RegistryError(415, 415, "HTTP 415 Unsupported Media Type")
                try:
                    body = json.loads(body_bytes or b"null")
                except ValueError as e:
                    raise RegistryError(400, 400, f"Unrecognized JSON body: {e}") from None
            return 200, getattr(self, name)(*args, body=body)
        if matched_path:
            raise RegistryError(405, 405, "HTTP 405 Method Not Allowed")
        raise RegistryError(404, 404, "HTTP 404 Not Found")

    def flag(self, name):
        return self.query.get(name, "false").lower() == "true"

    # -- routes ---------------------------------------------------------------------------------

    def root(self, body):
        return {}

    def list_subjects(self, body):
        return self.server.registry.subject_names(deleted=self.flag("deleted"))

    def register(self, subject, body):
        return self.server.registry.register(subject, body)

    def list_versions(self, subject, body):
        return self.server.registry.version_numbers(subject)

    def get_version(self, subject, version, body):
        return self.formatted(self.server.registry.version(subject, version))

    def get_version_schema(self, subject, version, body):
        return RawJson(self.server.registry.version(subject, version)["schema"])

    def lookup(self, subject, body):
        return self.server.registry.lookup(subject, body, deleted=self.flag("deleted"))

    def delete_subject(self, subject, body):
        return self.server.registry.delete_subject(subject, permanent=self.flag("permanent"))

    def get_by_id(self, schema_id, body):
        return self.formatted(self.server.registry.schema_by_id(schema_id))

    def get_by_id_raw(self, schema_id, body):
        return RawJson(self.server.registry.schema_by_id(schema_id)["schema"])

    def get_id_versions(self, schema_id, body):
        return self.server.registry.subject_versions_of_id(schema_id)

    def schema_types(self, body):
        return ["AVRO", "JSON", "PROTOBUF"]

    def get_global_config(self, body):
        return self.server.registry.get_config()

    def put_global_config(self, body):
        return self.server.registry.set_config(body)

    def get_subject_config(self, subject, body):
        return self.server.registry.get_config(subject, self.flag("defaultToGlobal"))

    def put_subject_config(self, subject, body):
        return self.server.registry.set_config(body, subject)

    def delete_subject_config(self, subject, body):
        return self.server.registry.delete_config(subject)

    def compatibility(self, subject, version, body):
        return self.server.registry.test_compatibility(subject, version, body)

    def formatted(self, reply):
        """`?format=serialized` asks for a PROTOBUF schema as its FileDescriptorProto, base64
        (Confluent's Node and Go deserializers build their descriptors from it); other formats
        and types answer the text as registered."""
        if self.query.get("format") == "serialized" and reply.get("schemaType") == "PROTOBUF":
            reply = dict(reply, schema=base64.b64encode(file_descriptor(reply["schema"])).decode())
        return reply

    # -- the answer -----------------------------------------------------------------------------

    def answer(self, status, reply, method):
        data = (reply.text if isinstance(reply, RawJson)
                else json.dumps(reply, separators=(",", ":"), ensure_ascii=False)).encode()
        # Logged before the answer goes out: a client that has read it finds it in LOG.
        self.server.log.add(method, self.path, status)
        self.send_response(status)
        self.send_header("Content-Type", CONTENT_TYPE)
        self.send_header("Content-Length", str(len(data)))
        if status == 401:
            self.send_header("WWW-Authenticate", 'Basic realm="SchemaRegistry"')
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()


class RawJson:
    """A reply that is already JSON text (the .../schema routes return the schema itself)."""

    def __init__(self, text):
        self.text = text
