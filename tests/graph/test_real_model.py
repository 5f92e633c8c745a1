"""Whole runs driven by the real 0.5B model through llama-cpp-python, on real repositories."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from agent.llm.base import ChatModel, Message
from agent.llm.spec import open_model
from agent.runs.session import start
from agent.sandbox.local import LocalRunner
from tests.conftest import git, reviewing_terminal

pytestmark = pytest.mark.model

# the candidate search gets its four candidates however busy the machine is: these tests ask
# what the model achieves, the benchmarks how fast
SETTINGS = {"sandbox": "none", "model": "qwen2.5-coder-0.5b", "ctx": 4096, "stage_seconds": 1200}


def test_real_model_takes_a_red_baseline_to_green_with_whole_file_edits(tmp_path: Path) -> None:
    repo = tmp_path / "calc"
    repo.mkdir()
    (repo / "calc.py").write_text('def add(a, b):\n    """The sum of a and b."""\n    return 0\n')
    (repo / "test_calc.py").write_text(
        "from calc import add\n\n\ndef test_small():\n    assert add(2, 3) == 5\n\n\n"
        "def test_negative():\n    assert add(-4, 1) == -3\n\n\ndef test_zero():\n    assert add(0, 0) == 0\n"
    )
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "stub"]):
        subprocess.run(["git", *args], cwd=repo, check=True)
    seen: list[dict[str, Any]] = []
    files, state = start(repo, "make the failing tests pass by changing calc.py", reviewing_terminal(seen=seen),
                         {**SETTINGS, "edit_format": "auto", "test_command": ["python3", "-m", "pytest", "-q"]},
                         runner=LocalRunner())
    assert len(state["stages"]) == 1 and state["stages"][0]["files"] == ["calc.py"]
    assert [o["status"] for o in state["outcomes"]] == ["applied"]
    assert state["reference"]["ok"] and "fixed 2 of 2 failing tests, broke none" in state["report"]
    assert "test_calc.py" not in seen[0]["patch"]
    final = git(repo, "show", f"agent/{files.run_id}:calc.py")
    assert "return 0" not in final


class RepliesGiven:
    """The real model, whose first replies are given (a candidate that fixes part of the tests),
    so that what follows is the model's own work on it."""

    def __init__(self, inner: ChatModel, *given: str) -> None:
        self.inner, self.given, self.calls = inner, given, []  # type: list[list[Message]]
        self.name, self.context_length = inner.name, inner.context_length

    def complete(self, messages: list[Message], **kwargs: Any) -> str:
        self.calls.append(list(messages))
        n = len(self.calls)
        return self.given[n - 1] if n <= len(self.given) else self.inner.complete(messages, **kwargs)

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)


STUB = ('def add(a, b):\n    """The sum of a and b."""\n    return 0\n\n\n'
        'def mul(a, b):\n    """The product of a and b."""\n    return 0\n')
HALF = "calc.py\n```python\n" + STUB.replace("return 0", "return a + b", 1) + "```\n"  # fixes add only


def half_done(tmp_path: Path) -> Path:
    repo = tmp_path / "calc"
    repo.mkdir()
    (repo / "calc.py").write_text(STUB)
    (repo / "test_calc.py").write_text(
        "from calc import add, mul\n\n\ndef test_add():\n    assert add(2, 3) == 5\n\n\n"
        "def test_mul():\n    assert mul(4, 3) == 12\n"
    )
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "stub"]):
        subprocess.run(["git", *args], cwd=repo, check=True)
    return repo


def run_half_done(repo: Path, model: ChatModel, goal: str = "make the failing tests pass by changing calc.py",
                  **settings: Any) -> dict[str, Any]:
    _, state = start(repo, goal, reviewing_terminal(),
                     {**SETTINGS, "edit_format": "whole", "test_command": ["python3", "-m", "pytest", "-q"],
                      **settings}, model=model, runner=LocalRunner())
    return state


def test_real_model_draws_its_stage_prompt_again_after_a_half_done_candidate(tmp_path: Path,
                                                                            small_model_path: Path) -> None:
    # told only "make the failing tests pass", the 0.5B's draws wrote the stub back unchanged
    goal = "make the failing tests pass by changing calc.py: add returns the sum of its arguments and mul their product"
    model = RepliesGiven(open_model(str(small_model_path), SETTINGS["ctx"]), HALF)
    state = run_half_done(half_done(tmp_path), model, goal, max_stages=1)
    assert len(model.calls) >= 2 and all(call == model.calls[0] for call in model.calls[1:])  # draws of one prompt
    assert [o["status"] for o in state["outcomes"]] == ["applied"]
    assert state["reference"]["ok"] and "fixed 2 of 2 failing tests, broke none" in state["report"]


def test_real_model_fixes_what_still_fails_in_the_next_stage(tmp_path: Path, small_model_path: Path) -> None:
    # the half-done candidate, then two draws that repeat it: the first stage goes on with it;
    # the second stage's first candidate, asked with the failing output, writes the files back
    model = RepliesGiven(open_model(str(small_model_path), SETTINGS["ctx"]), HALF, HALF, HALF, HALF)
    state = run_half_done(half_done(tmp_path), model)
    assert model.calls[4] == model.calls[0]  # the model's own first reply: a draw of the first stage's prompt
    assert [o["status"] for o in state["outcomes"]] == ["applied", "applied"]
    assert state["reference"]["ok"] and "fixed 1 of 1 failing tests, broke none" in state["report"]


def test_real_model_plans_one_stage_for_a_one_change_goal(py_repo: Path) -> None:
    seen: list[dict[str, Any]] = []
    # one candidate: the plan is what is tested here; a second one cost the 0.5B about 200 s of
    # replies cut off at the token limit, most of this test's time
    files, state = start(
        py_repo, "make add_item raise ValueError when the quantity is negative", reviewing_terminal(seen=seen),
        {**SETTINGS, "max_stages": 3, "candidates": 1}, runner=LocalRunner(),
    )
    assert len(state["stages"]) == 1
    assert all(not f.startswith("tests/") for f in state["stages"][0]["files"])
    for payload in seen:  # only verified patches reach a person: nothing broken, all tests green
        assert payload["verify"]["verdict"]["ok"] and payload["verify"]["ok"]
        assert payload["patch"].startswith("diff --git ")
    assert (files.dir / "report.md").is_file()
