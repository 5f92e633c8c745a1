"""A whole run driven by the real 0.5B model through llama-cpp-python, on a real repository.

It asserts that the plan parsed and that the stage ended in a clean, explained state, not that
the model is clever: an applied stage is a commit whose tree passes the tests; anything else
carries a reason and leaves the run branch at a good checkpoint.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agent.runs.session import start
from agent.sandbox.local import LocalRunner
from tests.conftest import git, reviewing_terminal

pytestmark = pytest.mark.model


def test_real_model_plans_and_stages_end_cleanly(py_repo: Path) -> None:
    seen: list[dict[str, Any]] = []
    lines: list[str] = []
    term = reviewing_terminal(seen=seen, show=lines.append)
    files, state = start(
        py_repo, "make add_item raise ValueError when the quantity is negative", term,
        {"sandbox": "none", "model": "qwen2.5-coder-0.5b", "ctx": 4096, "max_stages": 2}, runner=LocalRunner(),
    )
    assert 1 <= len(state["stages"]) <= 2
    assert all(s["intent"] and s["files"] for s in state["stages"])
    assert len(state["outcomes"]) >= 1
    checkpoints = git(py_repo, "for-each-ref", "--format=%(objectname)", f"refs/agent/{files.run_id}/").split()
    for outcome in state["outcomes"]:
        assert outcome["status"] in {"applied", "rejected", "failed", "rolled_back"}
        if outcome["status"] == "applied":
            assert outcome["commit"] in checkpoints
        else:
            assert outcome["reason"], outcome
    for payload in seen:  # every patch shown to the reviewer is a real, applicable diff
        assert payload["patch"].startswith("diff --git ")
    head = git(py_repo, "rev-parse", f"agent/{files.run_id}")
    assert head in [state["base_commit"], *checkpoints]
    assert (files.dir / "report.md").is_file() and any(line.startswith("Read ") for line in lines)
