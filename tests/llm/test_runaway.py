"""A reply that falls into a loop is stopped while it is written, not at its token limit."""

from __future__ import annotations

import pytest

from agent.errors import ReplyCutOff
from agent.llm.llama import LlamaModel
from agent.llm.runaway import MIN_LINES, line_ended, looping
from tests.llm.asks import LOOP_ASK, assert_loop_stopped_early

PHONE_LOOP = "".join(
    f"        if number[{i}] == '0':\n            raise ValueError('exchange code cannot start with 0')\n"
    for i in range(3, 30)
)


def test_a_block_repeated_with_only_its_numbers_changed_is_a_loop() -> None:
    head = "class PhoneNumber:\n    def __init__(self, number):\n"
    assert looping(head + PHONE_LOOP) == "if number[0] == '0':"
    assert looping(head + "x = 1\n" * MIN_LINES) == "x = 0"


def test_a_loop_inside_a_json_string_is_a_loop() -> None:
    """A reply in JSON carries its code's line ends escaped: the 1.5B's Rust replies did."""
    escaped = PHONE_LOOP.replace("\n", "\\n")
    assert looping('{"code": "class PhoneNumber:\\n' + escaped) == "if number[0] == '0':"
    assert line_ended(b";\\n") and line_ended(b"\n") and not line_ended(b"n")


def test_code_that_only_looks_alike_for_a_while_is_not_a_loop() -> None:
    table = "".join(f"    ({i}, {i * i}),\n" for i in range(MIN_LINES - 1))  # a table just under the bar
    assert looping("SQUARES = [\n" + table) == ""
    words = "".join(f"    '{chr(97 + i // 26)}{chr(97 + i % 26)}': {i},\n" for i in range(2 * MIN_LINES))
    assert looping("COLORS = {\n" + words) == ""  # the words change, not only the numbers
    assert looping(PHONE_LOOP + "        return number\n") == ""  # the loop ended: the reply went on
    assert looping("\n" * 100) == ""


@pytest.mark.model
def test_the_model_is_stopped_once_its_reply_loops(small_model: LlamaModel) -> None:
    assert_loop_stopped_early(small_model)


@pytest.mark.model
def test_the_model_is_stopped_once_its_json_reply_loops(small_model: LlamaModel) -> None:
    """In JSON the code's line ends are escapes, and the tokenizer splits them (`;\\` + `n`)."""
    schema = {"type": "object", "properties": {"code": {"type": "string"}}, "required": ["code"]}
    with pytest.raises(ReplyCutOff, match="went into a loop") as err:
        small_model.complete(LOOP_ASK, schema=schema, max_tokens=3000)
    assert MIN_LINES <= err.value.partial.count("\\n") < 2 * MIN_LINES
