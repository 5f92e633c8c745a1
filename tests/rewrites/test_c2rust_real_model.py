"""C-to-Rust stages written by the real 0.5B model, in the sandbox: c-mathlib's first translate
stage (with the transpiler: skips, saying how to build it, when its image is absent), a stage of
functions that read a struct, one of functions that change a struct of numbers, and
c-mathlib's last stage, the port of the C tests to cargo tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agent.llm.scripted import ScriptedModel
from agent.rewrites.c2rust.translate import parse_reply
from agent.runs.session import start
from agent.sandbox import images
from tests.conftest import git, repo_from_texts, reviewing_terminal
from tests.rewrites.c2rust_replies import REPLIES
from tests.rewrites.c2rust_sandbox import c2rust_runner
from tests.rewrites.test_c2rust_fallback import transpiler_runner
from tests.rewrites.test_c2rust_structs import ACC, point_project

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


def test_real_model_stage_of_struct_readers_lands_with_the_c_tests_green(tmp_path: Path) -> None:
    """Asked for `Option<&point>` beside C2Rust's `point`, whatever the 0.5B writes, the stage
    lands: its Rust behind the exports code writes, or the floor."""
    stage = _first_translate_stage(point_project(tmp_path), tmp_path)
    assert stage["metrics"]["functions_translated"] == "2/3"


def test_real_model_ports_the_c_tests_calling_the_exports_by_their_c_names(c_repo: Path, tmp_path: Path) -> None:
    """Every C function is Rust already (the recorded translations, merged), so the run is the
    port alone. Shown the `_rs` twins as well, the 1.5B called a twin for every function, most
    of which did not exist (C2Rust's exports have none); shown the exports only, the model
    calls them as the C tests do. Whatever it writes, with the transpiler image the stage lands
    with cargo tests green (its port, or C2Rust's translation of the C test program)."""
    runner = c2rust_runner(c_repo)
    translated, _ = start(
        c_repo, "translate to Rust", reviewing_terminal(),
        {"sandbox": "docker", "model": "scripted", "strategy": "c2rust", "max_stages": 8},
        model=ScriptedModel(REPLIES[:-1]), runner=runner,
    )
    git(c_repo, "merge", "-q", "--ff-only", f"agent/{translated.run_id}")
    replies = tmp_path / "replies.json"
    _, state = start(
        c_repo, "translate to Rust", reviewing_terminal(),
        {"sandbox": "docker", "model": "qwen2.5-coder-0.5b", "ctx": 4096, "strategy": "c2rust"},
        runner=runner, record=replies,
    )
    (port,) = state["outcomes"]
    if getattr(runner, "image", "") == images.TOOL_IMAGE:  # with the transpiler, the stage always lands
        assert port["status"] == "applied", port["reason"]
    ported = parse_reply(json.loads(replies.read_text())[0])[0]
    assert "_rs(" not in ported
    assert all(f"{name}(" in ported for name in ("gcd", "lcm", "clamp", "ipow", "is_prime")), ported


def test_real_model_stage_of_a_struct_it_changes_lands_with_the_c_tests_green(tmp_path: Path) -> None:
    """Asked for `Option<&mut acc>`, bytes for a `const void *` and a slice of 4 for `out[4]`,
    whatever the 0.5B writes, the stage lands: its Rust behind the exports code writes, or the
    floor, function by function."""
    stage = _first_translate_stage(repo_from_texts(tmp_path / "acc", ACC), tmp_path)
    assert stage["metrics"]["functions_translated"] == "3/3"


def _first_translate_stage(repo: Path, tmp_path: Path) -> dict[str, Any]:
    """The outcome of the real 0.5B's first translate stage, one candidate; it must apply with
    the C tests green, and the model must have been asked."""
    replies = tmp_path / "replies.json"
    _, state = start(
        repo, "translate to Rust", reviewing_terminal(),
        {"sandbox": "docker", "model": "qwen2.5-coder-0.5b", "ctx": 4096, "max_stages": 2, "strategy": "c2rust",
         "candidates": 1},
        runner=transpiler_runner(repo), record=replies,
    )
    stage: dict[str, Any] = dict(state["outcomes"][1])
    assert stage["status"] == "applied", stage["reason"]
    assert stage["tests"].endswith("(passed)")
    assert json.loads(replies.read_text())  # the model was asked
    return stage
