"""The test Schema Registry's store: subjects, versions, global ids and compatibility levels,
with Confluent Schema Registry's rules (reference avro-schema-registry.md §5, §7, §8):
  * a schema is stored as its canonical text (avro_canonical.canonical for AVRO, compact JSON
    for JSON, the text as sent for PROTOBUF once protoc compiles it: Confluent re-prints it, and
    the converter's text re-prints as itself); one global id per (schemaType, canonical text),
    shared by every subject that registers it;
  * registering a text the subject already has (live version) returns that id, no new version;
  * a new version is checked against the subject's live versions at the subject's level (or the
    global one): BACKWARD = reader new, writer latest; FORWARD the other way; FULL both;
    *_TRANSITIVE against every live version; NONE no check;
  * DELETE /subjects/{s} soft-deletes (the numbering goes on); ?permanent=true then removes.
Every public method takes the store's lock, so request threads and the stdin control thread
share one Registry. Errors are RegistryError(http_status, error_code, message), which the HTTP
layer turns into Confluent's {"error_code", "message"} body.
"""

import json
import threading

import avro.compatibility as compat
import jsonschema

from avro_canonical import InvalidSchema, canonical, parse
from avro_defaults import check_defaults
from proto_compile import ProtoInvalid, descriptor_set

LEVELS = ("NONE", "BACKWARD", "FORWARD", "FULL", "BACKWARD_TRANSITIVE", "FORWARD_TRANSITIVE",
          "FULL_TRANSITIVE")
# The wording of Confluent's AvroCompatibilityDifference messages, for the details of a 409.
DESCRIPTIONS = {
    "READER_FIELD_MISSING_DEFAULT_VALUE": "The field '{info}' at path '{path}' in the new schema "
                                          "has no default value and is missing in the old schema",
    "TYPE_MISMATCH": "The type (path '{path}') of a field in the new schema does not match with "
                     "the old schema",
    "MISSING_UNION_BRANCH": "The new schema is missing a type inside a union field at path "
                            "'{path}' in the old schema",
    "NAME_MISMATCH": "The name of the schema has changed (path '{path}')",
    "FIXED_SIZE_MISMATCH": "The size of FIXED type field at path '{path}' in the new schema does "
                           "not match with the old schema",
    "MISSING_ENUM_SYMBOLS": "The new schema is missing enum symbols '{info}' at path '{path}' in "
                            "the old schema",
}
INVALID_LEVEL = ("Invalid compatibility level. Valid values are none, backward, forward, full, "
                 "backward_transitive, forward_transitive, and full_transitive")


class RegistryError(Exception):
    def __init__(self, status, error_code, message):
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.message = message


def subject_not_found(subject):
    return RegistryError(404, 40401, f"Subject '{subject}' not found.")


class _Version:
    __slots__ = ("number", "schema_id", "deleted")

    def __init__(self, number, schema_id):
        self.number = number
        self.schema_id = schema_id
        self.deleted = False


class Registry:
    """In memory only. `incompatible_code` is the error_code of a 409: 409 (Confluent 7.x and
    8.0.0-8.0.3) or 40901 (later 8.x). validate_defaults: refuse a field default that does not
    fit its type (avro_defaults; off by default, as on Confluent)."""

    def __init__(self, compatibility="BACKWARD", incompatible_code=409, validate_defaults=False):
        self.lock = threading.Lock()
        self.validate_defaults = validate_defaults
        self.global_level = check_level(compatibility)
        self.incompatible_code = incompatible_code
        self.subject_levels = {}
        self.subjects = {}  # subject -> [_Version] in version order
        self.texts = {}  # id -> (schema_type, canonical text)
        self.ids = {}  # (schema_type, canonical text) -> id

    # -- helpers (lock held) ------------------------------------------------------------------

    def _canonical(self, body):
        if not isinstance(body, dict) or not isinstance(body.get("schema"), str):
            raise RegistryError(422, 42201,
                                "Invalid schema: the body must hold a \"schema\" string")
        schema_type = body.get("schemaType") or "AVRO"
        if schema_type not in ("AVRO", "JSON", "PROTOBUF"):
            raise RegistryError(422, 42201, f"Invalid schema type {schema_type}: the test "
                                            "registry speaks AVRO, JSON and PROTOBUF only")
        if body.get("references"):
            raise RegistryError(422, 42201, "Invalid schema: the test registry does not resolve "
                                            "schema references")
        if schema_type == "JSON":
            return schema_type, json_canonical(body["schema"])
        if schema_type == "PROTOBUF":
            try:
                descriptor_set(body["schema"])
            except ProtoInvalid as e:
                raise RegistryError(422, 42201, f"Invalid schema: {e}") from None
            return schema_type, body["schema"]
        try:
            text = canonical(body["schema"])
            if self.validate_defaults:
                check_defaults(parse(text))
            return schema_type, text
        except InvalidSchema as e:
            raise RegistryError(422, 42201, str(e)) from None

    def _live(self, subject):
        return [v for v in self.subjects.get(subject, []) if not v.deleted]

    def _live_or_404(self, subject):
        live = self._live(subject)
        if not live:
            raise subject_not_found(subject)
        return live

    def _level(self, subject):
        return self.subject_levels.get(subject, self.global_level)

    def _entry(self, subject, version):
        schema_type, text = self.texts[version.schema_id]
        entry = {"subject": subject, "version": version.number, "id": version.schema_id,
                 "schema": text}
        if schema_type != "AVRO":
            entry["schemaType"] = schema_type
        return entry

    def _incompatibilities(self, subject, key, live, level):
        """Confluent's "details" list; empty when `key` (type, text) may follow `live` at
        `level`. JSON and PROTOBUF schemas are checked for their type only: Confluent's rules for
        them are not modelled, so a new version needs level NONE, and anything else is
        refused."""
        if level == "NONE" or not live:
            return []
        schema_type, text = key
        if any(self.texts[v.schema_id][0] != schema_type for v in live):
            return [f"{{errorType:'TYPE_MISMATCH', description:'Incompatible schema type "
                    f"{schema_type}'}}"]
        if schema_type in ("JSON", "PROTOBUF"):
            return [f"{{errorType:'UNSUPPORTED', description:'the test registry checks "
                    f"{schema_type} compatibility at level NONE only (level is {level})'}}"]
        against = live if level.endswith("_TRANSITIVE") else live[-1:]
        new = parse(text)
        checker = compat.ReaderWriterCompatibilityChecker()
        details = []
        for old_version in reversed(against):
            old = parse(self.texts[old_version.schema_id][1])
            pairs = []
            if level.startswith(("BACKWARD", "FULL")):
                pairs.append((new, old))
            if level.startswith(("FORWARD", "FULL")):
                pairs.append((old, new))
            for reader, writer in pairs:
                result = checker.get_compatibility(reader, writer)
                if result.compatibility is compat.SchemaCompatibilityType.compatible:
                    continue
                info = ", ".join(sorted(map(str, result.messages)))
                path = ", ".join(sorted(result.locations))
                for kind in result.incompatibilities:
                    name = kind.name.upper()
                    details.append(f"{{errorType:'{name}', description:'"
                                   + DESCRIPTIONS.get(name, name + " at path '{path}'").format(
                                       info=info, path=path)
                                   + f"', additionalInfo:'{info}'}}")
                details += [f"{{oldSchemaVersion: {old_version.number}}}",
                            f"{{oldSchema: '{self.texts[old_version.schema_id][1]}'}}",
                            f"{{validateFields: 'false', compatibility: '{level}'}}"]
                break
        return details

    # -- the REST operations -------------------------------------------------------------------

    def register(self, subject, body):
        """POST /subjects/{s}/versions -> {"id": N}."""
        with self.lock:
            key = self._canonical(body)
            versions = self.subjects.setdefault(subject, [])
            live = [v for v in versions if not v.deleted]
            existing = self.ids.get(key)
            if existing is not None and any(v.schema_id == existing for v in live):
                return {"id": existing}
            details = self._incompatibilities(subject, key, live, self._level(subject))
            if details:
                raise RegistryError(409, self.incompatible_code,
                                    "Schema being registered is incompatible with an earlier "
                                    f"schema for subject \"{subject}\", details: "
                                    + _details_text(details))
            if existing is None:
                existing = len(self.texts) + 1
                self.texts[existing] = key
                self.ids[key] = existing
            number = versions[-1].number + 1 if versions else 1
            versions.append(_Version(number, existing))
            return {"id": existing}

    def lookup(self, subject, body, deleted=False):
        """POST /subjects/{s} -> {"subject","version","id","schema"}."""
        with self.lock:
            key = self._canonical(body)
            versions = self.subjects.get(subject, [])
            candidates = versions if deleted else [v for v in versions if not v.deleted]
            if not candidates:
                raise subject_not_found(subject)
            schema_id = self.ids.get(key)
            for v in candidates:
                if v.schema_id == schema_id:
                    return self._entry(subject, v)
            raise RegistryError(404, 40403, "Schema not found")

    def subject_names(self, deleted=False):
        with self.lock:
            return sorted(s for s, vs in self.subjects.items()
                          if vs and (deleted or any(not v.deleted for v in vs)))

    def version_numbers(self, subject):
        with self.lock:
            return [v.number for v in self._live_or_404(subject)]

    def version(self, subject, version):
        """GET /subjects/{s}/versions/{v}; `version` is the path segment."""
        with self.lock:
            live = self._live_or_404(subject)
            if version in ("latest", "-1"):
                return self._entry(subject, live[-1])
            number = _version_number(version)
            for v in live:
                if v.number == number:
                    return self._entry(subject, v)
            raise RegistryError(404, 40402, f"Version {number} not found.")

    def schema_by_id(self, schema_id):
        """GET /schemas/ids/{id} -> {"schema"} (+ schemaType when not AVRO)."""
        with self.lock:
            try:
                schema_type, text = self.texts[int(schema_id)]
            except (KeyError, ValueError):
                raise RegistryError(404, 40403, f"Schema {schema_id} not found") from None
            return {"schema": text} if schema_type == "AVRO" else {"schema": text,
                                                                  "schemaType": schema_type}

    def subject_versions_of_id(self, schema_id):
        """GET /schemas/ids/{id}/versions -> [{"subject","version"}]."""
        self.schema_by_id(schema_id)
        with self.lock:
            return [{"subject": s, "version": v.number} for s, vs in sorted(self.subjects.items())
                    for v in vs if not v.deleted and v.schema_id == int(schema_id)]

    def delete_subject(self, subject, permanent=False):
        """DELETE /subjects/{s} -> the deleted version numbers."""
        with self.lock:
            versions = self.subjects.get(subject)
            if not versions:
                raise subject_not_found(subject)
            if permanent:
                if any(not v.deleted for v in versions):
                    raise RegistryError(404, 40405, f"Subject '{subject}' was not deleted first "
                                                    "before being permanently deleted")
                del self.subjects[subject]
                self.subject_levels.pop(subject, None)
                return [v.number for v in versions]
            live = [v for v in versions if not v.deleted]
            if not live:
                raise RegistryError(404, 40404, f"Subject '{subject}' was soft deleted.Set "
                                                "permanent=true to delete permanently")
            for v in live:
                v.deleted = True
            return [v.number for v in live]

    def get_config(self, subject=None, default_to_global=False):
        with self.lock:
            if subject is None:
                return {"compatibilityLevel": self.global_level}
            level = self.subject_levels.get(subject)
            if level is None and default_to_global:
                level = self.global_level
            if level is None:
                raise RegistryError(404, 40408, f"Subject '{subject}' does not have "
                                                "subject-level compatibility configured")
            return {"compatibilityLevel": level}

    def set_config(self, body, subject=None):
        """PUT /config[/{s}] {"compatibility": L} -> {"compatibility": L}."""
        level = check_level(body.get("compatibility") if isinstance(body, dict) else None)
        with self.lock:
            if subject is None:
                self.global_level = level
            else:
                self.subject_levels[subject] = level
            return {"compatibility": level}

    def delete_config(self, subject):
        with self.lock:
            level = self.subject_levels.pop(subject, None)
            if level is None:
                raise subject_not_found(subject)
            return {"compatibility": level}

    def test_compatibility(self, subject, version, body):
        """POST /compatibility/subjects/{s}/versions/{v} -> {"is_compatible": bool}."""
        with self.lock:
            key = self._canonical(body)
            live = self._live_or_404(subject)
            if version in ("latest", "-1"):
                against = live[-1:]
            else:
                number = _version_number(version)
                against = [v for v in live if v.number == number]
                if not against:
                    raise RegistryError(404, 40402, f"Version {number} not found.")
            level = self._level(subject)
            if level.endswith("_TRANSITIVE") and version in ("latest", "-1"):
                against = live
            return {"is_compatible": not self._incompatibilities(subject, key, against, level)}


def json_canonical(text):
    """A JSON schema's canonical text, as Confluent's JsonSchema.canonicalString() prints it
    (Jackson, compact, members in their order); 422 when it is not JSON or not a JSON Schema."""
    try:
        schema = json.loads(text)
        jsonschema.Draft7Validator.check_schema(schema)
    except (ValueError, jsonschema.SchemaError) as e:
        raise RegistryError(422, 42201, f"Invalid schema: {e}") from None
    return json.dumps(schema, separators=(",", ":"), ensure_ascii=False)


def check_level(level):
    if not isinstance(level, str) or level.upper() not in LEVELS:
        raise RegistryError(422, 42203, INVALID_LEVEL)
    return level.upper()


def _version_number(segment):
    try:
        number = int(segment)
    except ValueError:
        number = 0
    if number <= 0:
        raise RegistryError(422, 42202, f"The specified version '{segment}' is not a valid version "
                                        "id. Allowed values are between [1, 2^31-1] and the "
                                        "string \"latest\"")
    return number


def _details_text(details):
    """Confluent prints its details Java-style: [{errorType:'X', description:'...'}, ...]."""
    return "[" + ", ".join(details) + "]"
