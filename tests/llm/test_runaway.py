"""A reply that falls into a loop is stopped while it is written, not at its token limit."""

from __future__ import annotations

import pytest

from agent.llm.llama import LlamaModel
from agent.llm.runaway import MIN_LINES, looping
from tests.llm.asks import assert_loop_stopped_early

PHONE_LOOP = "".join(
    f"        if number[{i}] == '0':\n            raise ValueError('exchange code cannot start with 0')\n"
    for i in range(3, 30)
)


def test_a_block_repeated_with_only_its_numbers_changed_is_a_loop() -> None:
    head = "class PhoneNumber:\n    def __init__(self, number):\n"
    assert looping(head + PHONE_LOOP) == "if number[0] == '0':"
    assert looping(head + "x = 1\n" * MIN_LINES) == "x = 0"


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
