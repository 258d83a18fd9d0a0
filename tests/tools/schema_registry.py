#!/usr/bin/python3
"""A test Schema Registry speaking Confluent Schema Registry's REST API (reference
avro-schema-registry.md §7 and §9), for pgcdc's Avro tests: there is no Confluent registry
package on Debian. Run it with Debian's /usr/bin/python3 (it needs python3-avro).

  schema_registry.py [--host 127.0.0.1] [--port 0] [--compatibility BACKWARD]
                     [--incompatible-error-code 409] [--validate-defaults]
                     [--user U --password P]
                     [--tls-cert CERT --tls-key KEY]

The first line on stdout is `LISTENING <url>` (--port 0 picks a free port). Then it reads
control commands on stdin, one a line, and answers each with one line on stdout ("OK", a JSON
value, or "ERR <why>"):
  FAIL N [HTTP_CODE]  the next N requests get HTTP_CODE (default 500) with error_code 50001
  HANG N SECONDS      the next N requests sleep SECONDS before being handled
  STOP / RESUME       close the listening socket (connections refused) and drop the open
                      connections / listen again on the same port, with the same state
  LOG                 the requests so far: [{"method","path","status"}, ...]
  CLEAR               forget the requests so far
  COMPAT LEVEL        set the global compatibility level
  SUBJECTS            the live subjects;  VERSIONS S: the subject's live versions
  SCHEMA ID           the canonical text of schema ID (a JSON string), or null
  QUIT                stop and exit (so does the end of stdin, and SIGTERM)
The store is in memory only. Modules: avro_canonical (Java's canonical text), avro_defaults
(--validate-defaults), registry_state
(subjects, ids, compatibility), registry_http (routes, auth, faults, log).
"""

import argparse
import json
import os
import signal
import ssl
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from registry_http import Faults, RegistryServer, RequestLog  # noqa: E402
from registry_state import LEVELS, Registry, RegistryError, check_level  # noqa: E402


class Listener:
    """The listening socket and the thread serving it; stop()/resume() close it and bind the
    same port again. Owned by the control loop (main thread)."""

    def __init__(self, args, registry, faults, log):
        self.args = args
        self.registry = registry
        self.faults = faults
        self.log = log
        self.port = args.port
        self.server = None
        self.thread = None
        self.tls = None
        if args.tls_cert:
            self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.tls.load_cert_chain(args.tls_cert, args.tls_key)

    def start(self):
        credentials = (self.args.user, self.args.password) if self.args.user else None
        self.server = RegistryServer((self.args.host, self.port), self.registry, self.faults,
                                     self.log, credentials)
        if self.tls is not None:
            # Handshake in the request's thread (on first read), not in accept().
            self.server.socket = self.tls.wrap_socket(self.server.socket, server_side=True,
                                                      do_handshake_on_connect=False)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def stop(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server.drop_connections()
            self.thread.join()
            self.server = None

    @property
    def url(self):
        scheme = "https" if self.tls is not None else "http"
        return f"{scheme}://{self.args.host}:{self.port}"


def command(line, listener, registry, faults, log):
    """The one-line answer to one control command; raises ValueError for a bad command."""
    words = line.split()
    op = words[0].upper()
    if op == "FAIL" and len(words) in (2, 3):
        faults.fail(int(words[1]), int(words[2]) if len(words) == 3 else 500)
    elif op == "HANG" and len(words) == 3:
        faults.hang(int(words[1]), float(words[2]))
    elif op == "STOP" and len(words) == 1:
        listener.stop()
    elif op == "RESUME" and len(words) == 1:
        if listener.server is None:
            listener.start()
    elif op == "LOG" and len(words) == 1:
        return json.dumps(log.snapshot(), separators=(",", ":"))
    elif op == "CLEAR" and len(words) == 1:
        log.clear()
    elif op == "COMPAT" and len(words) == 2:
        try:
            registry.set_config({"compatibility": words[1]})
        except RegistryError as e:
            raise ValueError(e.message) from None
    elif op == "SUBJECTS" and len(words) == 1:
        return json.dumps(registry.subject_names())
    elif op == "VERSIONS" and len(words) == 2:
        try:
            return json.dumps(registry.version_numbers(words[1]))
        except RegistryError:
            return "[]"
    elif op == "SCHEMA" and len(words) == 2:
        try:
            return json.dumps(registry.schema_by_id(words[1])["schema"], ensure_ascii=False)
        except RegistryError:
            return "null"
    else:
        raise ValueError(f"unknown command or wrong arguments: {line.strip()}")
    return "OK"


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--compatibility", default="BACKWARD", type=str.upper, choices=LEVELS)
    p.add_argument("--incompatible-error-code", type=int, default=409, choices=(409, 40901),
                   help="error_code of a 409: 409 (Confluent 7.x) or 40901 (8.x)")
    p.add_argument("--validate-defaults", action="store_true",
                   help="refuse (42201) a field default that does not fit its type, as "
                        "schema.providers.avro.validate.defaults=true does")
    p.add_argument("--user")
    p.add_argument("--password")
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    args = p.parse_args(argv)
    if bool(args.user) != (args.password is not None):
        p.error("--user and --password go together")
    if bool(args.tls_cert) != bool(args.tls_key):
        p.error("--tls-cert and --tls-key go together")
    check_level(args.compatibility)
    return args


def main(argv=None):
    args = parse_args(argv)
    registry = Registry(args.compatibility, args.incompatible_error_code,
                        args.validate_defaults)
    faults, log = Faults(), RequestLog()
    listener = Listener(args, registry, faults, log)
    listener.start()
    # SIGTERM ends the control loop like QUIT: the socket is closed, the process exits 0.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"LISTENING {listener.url}", flush=True)
    try:
        for line in sys.stdin:
            if not line.strip():
                continue
            if line.split()[0].upper() == "QUIT":
                print("OK", flush=True)
                break
            try:
                reply = command(line, listener, registry, faults, log)
            except ValueError as e:
                reply = f"ERR {e}"
            print(reply, flush=True)
    finally:
        listener.stop()


if __name__ == "__main__":
    main()
