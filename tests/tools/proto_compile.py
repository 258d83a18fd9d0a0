"""Compiling a Protobuf schema text the way a Confluent Schema Registry resolves it, with Debian's
protoc: the known types (ProtobufSchema.knownTypes(): confluent/*, google/type/*,
google/protobuf/*) come from proto_known/ and /usr/include, never as registered references.

ProtobufConverter's texts use the (confluent.field_meta) option without importing
confluent/meta.proto; the registry's parser (Square's wire) accepts that, protoc does not, so the
import is added before compiling when the option is used. Used by the test registry (an invalid
text is a 422) and by the tests' decoders (a message class per registered schema)."""

import os
import subprocess
import tempfile

KNOWN_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "proto_known")
SYSTEM_DIR = "/usr/include"
META_IMPORT = 'import "confluent/meta.proto";'


class ProtoInvalid(Exception):
    """protoc refused the text; the message is protoc's, one line per error."""


def compilable(text):
    """`text` with the meta import the registry's parser does without, when it is needed."""
    if "(confluent.field_meta)" not in text or META_IMPORT in text:
        return text
    lines = text.split("\n")
    heads = [i for i, line in enumerate(lines) if line.startswith(("syntax ", "package "))]
    lines.insert(heads[-1] + 1 if heads else 0, META_IMPORT)
    return "\n".join(lines)


def descriptor_set(text, name="schema.proto"):
    """The serialized FileDescriptorSet of `text` and everything it imports."""
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, name), "w", encoding="utf-8") as f:
            f.write(compilable(text))
        out = os.path.join(tmp, "set.pb")
        proc = subprocess.run(["protoc", "-I", tmp, "-I", KNOWN_DIR, "-I", SYSTEM_DIR,
                               "--include_imports", "--descriptor_set_out=" + out, name],
                              capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise ProtoInvalid(" ".join(proc.stderr.split("\n")).strip()
                               or f"protoc exited with {proc.returncode}")
        with open(out, "rb") as f:
            return f.read()


def file_descriptor(text, name="schema.proto"):
    """The serialized FileDescriptorProto of `text` alone (its imports are named, not included):
    what a registry answers for `?format=serialized`, base64-encoded there."""
    from google.protobuf import descriptor_pb2  # python3-protobuf; only this answer needs it
    files = descriptor_pb2.FileDescriptorSet.FromString(descriptor_set(text, name)).file
    return next(f for f in files if f.name == name).SerializeToString()
