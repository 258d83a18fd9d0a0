"""Writes the small YAML subset pgcdc configs use (nested dicts, lists, scalars), so tests need
no YAML library."""

import json


def _scalar(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    return json.dumps(str(v))  # a JSON string is a valid YAML double-quoted scalar


def _key(k):
    plain = k and all(c.isalnum() or c in "._-" for c in k)
    return k if plain else json.dumps(k)  # e.g. a topics: key that quotes identifiers


def _emit(obj, indent, lines):
    pad = "  " * indent
    for k, v in obj.items():
        k = _key(str(k))
        if isinstance(v, dict):
            lines.append(f"{pad}{k}:")
            _emit(v, indent + 1, lines)
        elif isinstance(v, list):
            lines.append(f"{pad}{k}: [{', '.join(_scalar(x) for x in v)}]")
        elif v is None:
            lines.append(f"{pad}{k}:")
        else:
            lines.append(f"{pad}{k}: {_scalar(v)}")


def dump(obj):
    lines = []
    _emit(obj, 0, lines)
    return "\n".join(lines) + "\n"
