"""The requests both model backends are tested with: a small structured one, and one that loops."""

from __future__ import annotations

import pytest

from agent.errors import ReplyCutOff
from agent.llm.base import ChatModel
from agent.llm.runaway import MIN_LINES

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
LOOP_ASK = [{"role": "user", "content": "Write 400 lines of Python, one assignment per line: "
             "value_1 = 1, value_2 = 2, and so on up to value_400 = 400. Only the code."}]


def assert_loop_stopped_early(model: ChatModel) -> None:
    """``model`` asked for LOOP_ASK is stopped soon after its loop is plain, far from 400 lines."""
    with pytest.raises(ReplyCutOff, match="went into a loop") as err:
        model.complete(LOOP_ASK, max_tokens=3000)
    assert MIN_LINES <= err.value.partial.count("\n") < 2 * MIN_LINES
