"""Whole-file replies: a file rewritten as a fragment is sent back before it costs a test run."""

from __future__ import annotations

from pathlib import Path

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


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "game.py").write_text(MODULE)
    return tmp_path


def test_a_reply_that_keeps_every_name_is_the_new_file(root: Path) -> None:
    changed = MODULE.replace("        pass", "        return char")
    assert apply_whole_files(root, reply(changed), ["game.py"], "make guess return its letter") == {"game.py": changed}


def test_a_stray_line_in_place_of_the_file_is_sent_back(root: Path) -> None:
    with pytest.raises(ModelReplyError, match=r"leaves out Game, STATUS_WIN, helper, which it defined"):
        apply_whole_files(root, reply("obj['game.py']\n"), ["game.py"], "make guess return its letter")


def test_a_name_the_goal_names_may_go(root: Path) -> None:
    without = MODULE.replace('\n\ndef helper():\n    return 1\n', "")
    assert apply_whole_files(root, reply(without), ["game.py"], "remove helper, nothing calls it")["game.py"] == without
    with pytest.raises(ModelReplyError, match="leaves out helper"):
        apply_whole_files(root, reply(without), ["game.py"], "make guess return its letter")
