"""One C-to-Rust stage proposed by the real 0.5B model on c-mathlib: the scaffold (code) is
applied, and the first translate stage either passes the original C tests or ends with a reason
a person can act on (a compiler or test error, or an unusable reply)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agent.runs.session import start
from tests.conftest import git, reviewing_terminal
from tests.rewrites.c2rust_sandbox import c2rust_runner

pytestmark = [pytest.mark.model, pytest.mark.docker]


def test_real_model_translates_a_stage_or_says_why(c_repo: Path) -> None:
    seen: list[dict[str, Any]] = []
    term = reviewing_terminal(seen=seen)
    files, state = start(
        c_repo, "translate to Rust", term,
        {"sandbox": "docker", "model": "qwen2.5-coder-0.5b", "ctx": 4096, "max_stages": 2, "strategy": "c2rust"},
        runner=c2rust_runner(c_repo),
    )
    scaffold, translate = state["outcomes"]
    assert scaffold["status"] == "applied" and scaffold["metrics"]["functions_translated"] == "0/15"
    if translate["status"] == "applied":
        assert translate["metrics"]["functions_translated"] == "3/15" and "15 passed" in translate["tests"]
        return
    assert translate["status"] in ("failed", "rolled_back") and translate["reason"].strip()
    if translate["status"] == "rolled_back":  # the reviewer saw the failing build or tests
        assert not seen[-1]["verify"]["ok"] and seen[-1]["verify"]["output_tail"].strip()
    assert git(c_repo, "rev-parse", f"agent/{files.run_id}") == scaffold["commit"]
