"""One C-to-Rust stage proposed by the real 0.5B model on c-mathlib, in the sandbox with the
transpiler: the scaffold (code) is applied, then the first translate stage, with the original C
tests green. Skips, saying how to build it, when the transpiler image is absent."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.runs.session import start
from tests.conftest import git, reviewing_terminal
from tests.rewrites.test_c2rust_fallback import transpiler_runner

pytestmark = [pytest.mark.model, pytest.mark.docker]


def test_real_model_stage_ends_in_rust_with_the_c_tests_green(c_repo: Path) -> None:
    """Whatever the 0.5B writes, the first translate stage lands: its Rust where it compiles and
    passes, C2Rust's translation where it does not (the floor needs the transpiler image)."""
    runner = transpiler_runner(c_repo)
    files, state = start(
        c_repo, "translate to Rust", reviewing_terminal(),
        {"sandbox": "docker", "model": "qwen2.5-coder-0.5b", "ctx": 4096, "max_stages": 2, "strategy": "c2rust",
         "candidates": 1},  # one candidate: the model's Rust, or at once the floor
        runner=runner,
    )
    scaffold, translate = state["outcomes"]
    assert scaffold["status"] == "applied" and scaffold["metrics"]["functions_translated"] == "0/15"
    assert translate["status"] == "applied", translate["reason"]
    assert translate["metrics"]["functions_translated"] == "3/15" and "15 passed" in translate["tests"]
    assert git(c_repo, "rev-parse", f"agent/{files.run_id}") == translate["commit"]
