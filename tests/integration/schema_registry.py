"""The test Schema Registry (tests/tools/schema_registry.py) as a process for the Avro tests: a
faithful stand-in for Confluent Schema Registry (its REST API, error codes, canonical schema
text, global ids and compatibility rules; reference avro-schema-registry.md §9), with the fault
switches and request log the tests need. Apicurio (apicurio.py) is the second, independent
registry of the release-only tests; this one starts in a fraction of a second and needs no JVM.

    with SchemaRegistry(compatibility="BACKWARD") as reg:
        cfg["schema_registry"] = {"url": reg.url}
        ...
        assert [r["path"] for r in reg.registrations()] == [...]

The registry runs under Debian's /usr/bin/python3 (python3-avro), on a free loopback port. It
is driven over its stdin (one command, one answer line); every call here holds a lock, so test
threads may share one instance. It dies with the test process even if that is killed
(PR_SET_PDEATHSIG); stop() (or leaving the with block) ends it and waits for it.
"""

import ctypes
import json
import os
import signal
import subprocess
import tempfile
import threading

from pgcdc_harness import ROOT

TOOL = os.path.join(ROOT, "tests", "tools", "schema_registry.py")
PYTHON = "/usr/bin/python3"


def _die_with_parent():
    """Runs in the child before exec: SIGKILL it when the test process dies."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)


class SchemaRegistry:
    """One registry process. `url` is the base URL clients are given (http:// or, with
    tls_cert/tls_key, https://127.0.0.1:port; no credentials in it), `port` its port.
    user/password switch on basic auth (401, error_code 401, without them); compatibility is
    the initial global level (default BACKWARD, as Confluent's); incompatible_error_code is the
    error_code of a 409 (409 as Confluent 7.x, or 40901 as 8.x); validate_defaults refuses a
    field default that does not fit its type with 422/42201 (Confluent's
    schema.providers.avro.validate.defaults=true; off, as there, by default)."""

    def __init__(self, user=None, password=None, tls_cert=None, tls_key=None,
                 compatibility="BACKWARD", incompatible_error_code=409, validate_defaults=False):
        self.args = ["--port", "0", "--compatibility", compatibility,
                     "--incompatible-error-code", str(incompatible_error_code)]
        if validate_defaults:
            self.args.append("--validate-defaults")
        if user is not None:
            self.args += ["--user", user, "--password", password or ""]
        if tls_cert is not None:
            self.args += ["--tls-cert", tls_cert, "--tls-key", tls_key]
        self.proc = None
        self.stderr = None
        self.url = None
        self.port = None
        self.lock = threading.Lock()

    # -- lifetime ---------------------------------------------------------------------------

    def start(self):
        # stderr to a file, not a pipe nobody drains: a traceback must not block the server.
        self.stderr = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen([PYTHON, TOOL] + self.args, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.stderr, text=True,
                                     bufsize=1, preexec_fn=_die_with_parent)
        first = self.proc.stdout.readline()
        if not first.startswith("LISTENING "):
            self.stop()
            err = self.stderr_text()
            raise RuntimeError(f"the test schema registry did not start: {first!r} {err}")
        self.url = first.split(None, 1)[1].strip()
        self.port = int(self.url.rsplit(":", 1)[1])
        return self

    def stop(self, timeout=10):
        """QUIT, then SIGTERM/SIGKILL if it does not exit; waits for the process."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write("QUIT\n")
                self.proc.stdin.flush()
                self.proc.wait(timeout=timeout)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.terminate()
                try:
                    self.proc.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        self.proc = None

    def stderr_text(self):
        """What the registry wrote on stderr (tracebacks of failed requests, if any)."""
        if self.stderr is None:
            return ""
        self.stderr.seek(0)
        return self.stderr.read()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- the control channel ----------------------------------------------------------------

    def _command(self, line):
        """Sends one command, returns its answer line; RuntimeError for "ERR ..." or a dead
        process."""
        with self.lock:
            if self.proc is None or self.proc.poll() is not None:
                raise RuntimeError("the test schema registry is not running")
            self.proc.stdin.write(line + "\n")
            self.proc.stdin.flush()
            answer = self.proc.stdout.readline().rstrip("\n")
        if not answer or answer.startswith("ERR"):
            raise RuntimeError(f"test schema registry: {line!r} -> {answer!r}")
        return answer

    def set_compatibility(self, level):
        """The global compatibility level (NONE, BACKWARD, FORWARD, FULL, *_TRANSITIVE)."""
        self._command(f"COMPAT {level}")

    def fail_next(self, n, code=500):
        """The next n requests are answered with HTTP `code`, error_code 50001."""
        self._command(f"FAIL {int(n)} {int(code)}")

    def hang_next(self, n, seconds):
        """The next n requests sleep `seconds` before being handled (a read timeout)."""
        self._command(f"HANG {int(n)} {float(seconds)}")

    def stop_listening(self):
        """Close the listening socket and drop open (kept-alive) connections: connections are
        refused until resume()."""
        self._command("STOP")

    def resume(self):
        """Listen again on the same port, with the same state."""
        self._command("RESUME")

    def requests(self):
        """Every request answered so far: [{"method", "path" (with query), "status"}]."""
        return json.loads(self._command("LOG"))

    def clear_requests(self):
        self._command("CLEAR")

    def registrations(self):
        """The requests that were registrations (POST /subjects/{s}/versions)."""
        return [r for r in self.requests() if r["method"] == "POST"
                and r["path"].split("?")[0].endswith("/versions")
                and r["path"].startswith("/subjects/")]

    def subjects(self):
        """The live subjects, sorted."""
        return json.loads(self._command("SUBJECTS"))

    def versions(self, subject):
        """The subject's live version numbers ([] for an unknown subject)."""
        return json.loads(self._command(f"VERSIONS {subject}"))

    def schema(self, schema_id):
        """The canonical text stored under `schema_id`, or None."""
        return json.loads(self._command(f"SCHEMA {int(schema_id)}"))


__all__ = ["SchemaRegistry"]
