"""The transpiler as the floor: when the model's Rust for a function still fails `cargo check`
after its repairs, C2Rust's translation of that function lands instead (the model's working
functions stay), and the stage ends linked with the original C tests green. Needs the c2rust
sandbox image (`agent sandbox build --image c2rust`); skips with that reason without it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agent.llm.scripted import ScriptedModel
from agent.runs.session import start
from agent.sandbox import images
from tests.conftest import git, reviewing_terminal
from tests.rewrites.c2rust_replies import BROKEN_IPOW, reply
from tests.rewrites.c2rust_sandbox import c2rust_runner

pytestmark = pytest.mark.docker


def transpiler_runner(repo: Path) -> Any:
    runner = c2rust_runner(repo)
    if getattr(runner, "image", "") != images.TOOL_IMAGE:
        runner.close()
        pytest.skip("the c2rust image is not built: 'agent sandbox build --image c2rust' (~25 min)")
    return runner


def test_a_function_the_model_cannot_compile_lands_transpiled(c_repo: Path) -> None:
    seen: list[dict[str, Any]] = []
    model = ScriptedModel([reply(BROKEN_IPOW, "ipow wraps")] * 3)  # the first reply and both re-asks
    files, state = start(
        c_repo, "translate to Rust", reviewing_terminal(seen=seen),
        {"sandbox": "docker", "model": "scripted", "strategy": "c2rust", "max_stages": 2},
        model=model, runner=transpiler_runner(c_repo),
    )
    scaffold, stage = state["outcomes"]
    assert stage["status"] == "applied", stage["reason"]
    assert "15 passed" in stage["tests"] and stage["metrics"]["functions_translated"] == "3/15"
    assert "mismatched types" in model.calls[1][-1]["content"]  # cargo check's error went back
    branch = f"agent/{files.run_id}"
    lib = git(c_repo, "show", f"{branch}:rust/src/lib.rs")
    assert "pub fn clamp_rs" in lib and "pub fn gcd_rs" in lib and "ipow_rs" not in lib
    assert 'pub unsafe extern "C" fn ipow(' in lib and "Transpiled by C2Rust from src/arith.c" in lib
    adr = git(c_repo, "show", f"{branch}:docs/adr/0002-translate-clamp-gcd-ipow.md")
    assert "Written by the model, safe Rust behind the C ABI export: `clamp`, `gcd`." in adr
    assert "Transpiled by C2Rust, unsafe Rust with C's raw pointers: `ipow`" in adr
    assert "long ipow" not in git(c_repo, "show", f"{branch}:src/arith.c")


def test_unusable_replies_leave_the_whole_stage_to_the_transpiler(c_repo: Path) -> None:
    model = ScriptedModel(["not json"] * 3)
    _, state = start(
        c_repo, "translate to Rust", reviewing_terminal(),
        {"sandbox": "docker", "model": "scripted", "strategy": "c2rust", "max_stages": 2},
        model=model, runner=transpiler_runner(c_repo),
    )
    stage = state["outcomes"][1]
    assert stage["status"] == "applied" and "15 passed" in stage["tests"], stage["reason"]
    assert stage["metrics"]["functions_translated"] == "3/15"
