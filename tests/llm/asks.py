"""The small structured request both model backends are tested with."""

from __future__ import annotations

STEPS_SCHEMA = {
    "type": "object",
    "properties": {
        "steps": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 3},
        "risky": {"type": "boolean"},
    },
    "required": ["steps", "risky"],
    "additionalProperties": False,
}
ASK = [
    {"role": "system", "content": "You plan refactorings. Answer in JSON."},
    {"role": "user", "content": "Rename function load_cfg to load_config in config.py."},
]
