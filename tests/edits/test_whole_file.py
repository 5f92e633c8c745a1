"""Whole-file replies: a file rewritten as a fragment is sent back before it costs a test run."""

from __future__ import annotations

import pytest

from agent.edits.whole_file import apply_whole_files
from agent.errors import ModelReplyError

MODULE = '''"""Game state."""
STATUS_WIN = "win"


class Game:
    def guess(self, char):
        pass


def helper():
    return 1
'''


def reply(text: str) -> str:
    return f"game.py\n```python\n{text}```\n"


def read(rel: str) -> str | None:
    """game.py as the prompt showed it."""
    return MODULE if rel == "game.py" else None


def test_a_reply_that_keeps_every_name_is_the_new_file() -> None:
    changed = MODULE.replace("        pass", "        return char")
    assert apply_whole_files(read, reply(changed), ["game.py"], "make guess return its letter") == {"game.py": changed}


def test_a_stray_line_in_place_of_the_file_is_sent_back() -> None:
    with pytest.raises(ModelReplyError, match=r"leaves out Game, STATUS_WIN, helper, which it defined"):
        apply_whole_files(read, reply("obj['game.py']\n"), ["game.py"], "make guess return its letter")


def test_a_name_the_goal_names_may_go() -> None:
    without = MODULE.replace('\n\ndef helper():\n    return 1\n', "")
    assert apply_whole_files(read, reply(without), ["game.py"], "remove helper, nothing calls it")["game.py"] == without
    with pytest.raises(ModelReplyError, match="leaves out helper"):
        apply_whole_files(read, reply(without), ["game.py"], "make guess return its letter")


SLIPPED = {  # each as small models write it, and as the parser then needs it
    "a line between two levels": (
        "def f(x):\n    if x:\n        y = 1\n      z = 2\n    return x\n",
        "def f(x):\n    if x:\n        y = 1\n    z = 2\n    return x\n"),
    "a body at its def's own indent": (
        "def f(x):\nreturn x\n",
        "def f(x):\n    return x\n"),
    "a block indented past its neighbours, with what it nests": (
        "def f(x):\n    y = 1\n      if y:\n          return y\n    return x\n",
        "def f(x):\n    y = 1\n    if y:\n        return y\n    return x\n"),
}


@pytest.mark.parametrize("slipped,mended", SLIPPED.values(), ids=SLIPPED.keys())
def test_an_indentation_slip_is_mended_where_that_alone_makes_the_file_parse(
        slipped: str, mended: str) -> None:
    module = MODULE + "\n\n" + slipped
    assert apply_whole_files(read, reply(module), ["game.py"], "add f")["game.py"] == MODULE + "\n\n" + mended


def test_a_file_that_indentation_alone_cannot_mend_is_sent_back_as_written() -> None:
    broken = MODULE + "\n\ndef f(x):\n      y = (1,\n    return x\n"  # an open bracket, not an indent
    with pytest.raises(ModelReplyError, match=r"make game.py invalid Python"):
        apply_whole_files(read, reply(broken), ["game.py"], "add f")
    tabbed = MODULE + "\n\ndef f(x):\n\tif x:\n\t\ty = 1\n\t  z = 2\n"
    with pytest.raises(ModelReplyError, match=r"make game.py invalid Python"):
        apply_whole_files(read, reply(tabbed), ["game.py"], "add f")
