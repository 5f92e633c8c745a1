"""Parse a model's JSON reply tolerantly and check it against the subset of JSON Schema our
reply schemas use (type, properties, required, additionalProperties, items, min/maxItems,
enum, const, minLength/maxLength, anyOf).

Grammar-constrained backends cannot produce invalid JSON; a remote endpoint without schema
support can, so its replies go through here and the error text is fed back for a retry.
"""

from __future__ import annotations

import json
import re
from typing import Any

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,), "array": (list,), "string": (str,), "boolean": (bool,),
    "integer": (int,), "number": (int, float), "null": (type(None),),
}
_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)


def parse_reply(text: str) -> Any:
    """The JSON value in ``text``: bare, inside a ``` fence, or the outermost {...} / [...]."""
    candidates = [text.strip(), *(m.strip() for m in _FENCE.findall(text))]
    for open_ch, close_ch in ("{}", "[]"):
        start, end = text.find(open_ch), text.rfind(close_ch)
        if 0 <= start < end:
            candidates.append(text[start : end + 1])
    error = "no JSON value found"
    for candidate in candidates:
        try:
            return json.loads(candidate)
        except json.JSONDecodeError as exc:
            error = f"invalid JSON: {exc}"
    raise ValueError(error)


def schema_errors(value: Any, schema: dict[str, Any], where: str = "$") -> list[str]:
    """Why ``value`` does not match ``schema`` (empty when it does)."""
    if "anyOf" in schema:
        if any(not schema_errors(value, s, where) for s in schema["anyOf"]):
            return []
        return [f"{where}: matches none of the anyOf alternatives"]
    if "const" in schema and value != schema["const"]:
        return [f"{where}: must be {schema['const']!r}"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{where}: must be one of {schema['enum']!r}"]
    kind = schema.get("type")
    if kind is not None:
        kinds = kind if isinstance(kind, list) else [kind]
        ok = any(isinstance(value, _TYPES[k]) and not (k in ("integer", "number")
                 and isinstance(value, bool)) for k in kinds)
        if not ok:
            return [f"{where}: expected {'/'.join(kinds)}, got {type(value).__name__}"]
    if isinstance(value, dict):
        return _object_errors(value, schema, where)
    if isinstance(value, list):
        return _array_errors(value, schema, where)
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            return [f"{where}: shorter than {schema['minLength']} characters"]
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            return [f"{where}: longer than {schema['maxLength']} characters"]
    return []


def _object_errors(value: dict[str, Any], schema: dict[str, Any], where: str) -> list[str]:
    props = schema.get("properties", {})
    errors = [f"{where}: missing required key '{k}'" for k in schema.get("required", [])
              if k not in value]
    if schema.get("additionalProperties") is False:
        errors += [f"{where}: unexpected key '{k}'" for k in value if k not in props]
    for key, sub in props.items():
        if key in value:
            errors += schema_errors(value[key], sub, f"{where}.{key}")
    return errors


def _array_errors(value: list[Any], schema: dict[str, Any], where: str) -> list[str]:
    errors = []
    if len(value) < schema.get("minItems", 0):
        errors.append(f"{where}: fewer than {schema['minItems']} items")
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        errors.append(f"{where}: more than {schema['maxItems']} items")
    if isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            errors += schema_errors(item, schema["items"], f"{where}[{i}]")
    return errors
