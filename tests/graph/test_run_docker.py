"""The graph verifying and checking stages in the real Docker sandbox (the default backend)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agent.errors import AgentError
from agent.llm.scripted import ScriptedModel
from agent.runs.session import start
from tests.conftest import git, reviewing_terminal
from tests.graph.test_run_scripted import GOOD_EDIT, PLAN

pytestmark = pytest.mark.docker


def test_stage_is_verified_in_the_docker_sandbox(py_repo: Path) -> None:
    seen: list[dict[str, Any]] = []
    files, state = start(py_repo, "validate", reviewing_terminal(seen=seen), {"sandbox": "docker"},
                         model=ScriptedModel([PLAN, GOOD_EDIT]))
    assert state["baseline"]["passed"] == 3
    assert seen[0]["verify"]["ok"] and seen[0]["verify"]["passed"] == 3
    assert [o["status"] for o in state["outcomes"]] == ["applied"]
    assert "negative quantity" in git(py_repo, "show", f"agent/{files.run_id}:inventory/stock.py")


def test_a_repository_cannot_switch_its_own_sandbox_off(py_repo: Path) -> None:
    (py_repo / ".agent.toml").write_text('sandbox = "none"\n')
    git(py_repo, "add", ".agent.toml")
    git(py_repo, "-c", "user.name=T", "-c", "user.email=t@e", "commit", "-qm", "try to disable the sandbox")
    with pytest.raises(AgentError, match="cannot turn the sandbox off"):
        start(py_repo, "validate", reviewing_terminal(), model=ScriptedModel([PLAN, GOOD_EDIT]))
    assert not (py_repo / ".agent" / "runs").exists()
