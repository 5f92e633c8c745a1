"""Safety stages on a small CMake project whose `vm_max` is unsafe C2Rust-style Rust: a "make it
safe" goal plans one stage per such function; the model's safe version replaces it behind the
same export (code writes it from C2Rust's signature when the reply has only the safe function)
after `cargo check` sent its first attempt back, with fewer unsafe lines and raw pointers; a
function the model cannot make safe stays unsafe and the run goes on."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.llm.scripted import ScriptedModel
from agent.rewrites.c2rust.report import raw_pointers, unsafe_lines
from agent.rewrites.c2rust.safety import plan_safety, wants_safety
from agent.runs.session import start
from tests.conftest import git, reviewing_terminal
from tests.rewrites.c2rust_replies import reply
from tests.rewrites.c2rust_sandbox import c2rust_runner
from tests.rewrites.test_c2rust_cmake import DOT, WIRED, cmake_project
from tests.rewrites.test_c2rust_fallback import transpiler_runner

UNSAFE_MAX = """
#[no_mangle]
pub unsafe extern "C" fn vm_max(mut a: *const ::core::ffi::c_int, mut n: ::core::ffi::c_int) -> ::core::ffi::c_int {
    let mut best: ::core::ffi::c_int = *a.offset(0 as isize);
    let mut i: ::core::ffi::c_int = 1 as ::core::ffi::c_int;
    while i < n {
        if *a.offset(i as isize) > best {
            best = *a.offset(i as isize);
        }
        i += 1;
    }
    return best;
}
"""
SAFE_MAX = """
pub fn vm_max_rs(a: &[c_int]) -> c_int {
    a.iter().copied().max().unwrap_or(0)
}

/// # Safety
/// `a` points to `n` readable ints.
#[no_mangle]
pub unsafe extern "C" fn vm_max(a: *const c_int, n: c_int) -> c_int {
    if a.is_null() || n <= 0 {
        return 0;
    }
    vm_max_rs(unsafe { std::slice::from_raw_parts(a, n as usize) })
}
"""
# the model-written add and dot product stay; the maximum is as C2Rust writes it (no vm_max_rs)
MAX_RS = "pub fn vm_max_rs(a: &[c_int]) -> c_int {\n    a.iter().copied().max().unwrap_or(0)\n}\n"
ADD_EXPORT = '#[no_mangle]\npub extern "C" fn vm_add(a: c_int, b: c_int) -> c_int {\n    vm_add_rs(a, b)\n}\n'
MIXED = WIRED.replace(MAX_RS, "") + ADD_EXPORT + DOT + UNSAFE_MAX
assert MAX_RS in WIRED and "vm_max_rs" not in MIXED


def test_safety_figures_and_plan(tmp_path: Path) -> None:
    assert wants_safety("make the transpiled functions safe") and not wants_safety("translate it safely")
    assert unsafe_lines(UNSAFE_MAX) == 11 and raw_pointers(UNSAFE_MAX) == 1
    assert unsafe_lines(SAFE_MAX) == 6 and raw_pointers(SAFE_MAX) == 1
    (tmp_path / "rust" / "src").mkdir(parents=True)
    (tmp_path / "rust" / "src" / "lib.rs").write_text("use std::os::raw::c_int;\n" + MIXED)
    stages = plan_safety(tmp_path, 10)
    assert [(s["kind"], s["symbols"]) for s in stages] == [("safety", ["rust/src/lib.rs::vm_max"])]


@pytest.mark.docker
def test_an_unsafe_function_is_made_safe_behind_its_export(tmp_path: Path) -> None:
    repo = cmake_project(tmp_path)
    # vm_max_rs does not build (ZERO is never defined) and is not asked again: C2Rust's vm_max lands
    first = ScriptedModel([reply(WIRED.replace("unwrap_or(0)", "unwrap_or(ZERO)"), "vm_max as C2Rust wrote it"),
                           reply(DOT, "slices")])
    _, state = start(repo, "translate to Rust", reviewing_terminal(),
                     {"sandbox": "docker", "model": "scripted", "strategy": "c2rust", "max_stages": 3,
                      "edit_retries": 0},
                     model=first, runner=transpiler_runner(repo))  # vm_max's floor is C2Rust's
    assert [o["status"] for o in state["outcomes"]] == ["applied"] * 3
    assert state["outcomes"][2]["metrics"]["functions_transpiled"] == 1
    git(repo, "merge", "-q", "--ff-only", f"agent/{state['run_id']}")

    broken = SAFE_MAX.replace("unwrap_or(0)", "unwrap_or(ZERO)")  # never defined: nothing can fix it
    own_export = SAFE_MAX.replace("vm_max_rs(unsafe {", "0 + vm_max_rs(unsafe {")  # its own export, a wrong one
    model = ScriptedModel([reply(broken, ""),
                           reply(own_export, "a slice at the boundary")])
    files, state = start(repo, "make the transpiled functions safe", reviewing_terminal(),
                         {"sandbox": "docker", "model": "scripted", "strategy": "c2rust"},
                         model=model, runner=c2rust_runner(repo))
    (stage,) = state["outcomes"]
    assert stage["status"] == "applied" and stage["tests"].endswith("(1 passed)"), stage
    assert "`cargo check` failed" in model.calls[1][-1]["content"]
    # asked for the safe function's exact signature, the export left to code
    asked = next(m["content"] for m in model.calls[0] if "# Task: make one unsafe" in m["content"])
    assert "pub fn vm_max_rs(a: &[i32]) -> i32 {" in asked and "`vm_max` that calls it is written for you" in asked
    assert "fn vm_add" not in asked and "fn vm_dot" not in asked  # of lib.rs only what vm_max uses: nothing
    assert stage["metrics"]["functions_transpiled"] == 0 and stage["metrics"]["functions_model_safe"] == 3
    lib = git(repo, "show", f"agent/{files.run_id}:rust/src/lib.rs")
    assert "pub fn vm_max_rs(a: &[c_int])" in lib and "*a.offset" not in lib
    # the reply's own export was dropped: code wrote it from C2Rust's signature, length checked
    assert "0 + vm_max_rs" not in lib
    assert ('pub unsafe extern "C" fn vm_max(a: *const ::core::ffi::c_int, n: ::core::ffi::c_int) -> '
            "::core::ffi::c_int {\n    let a: &[c_int] = if a.is_null() || n <= 0 { &[] }") in lib
    adr = git(repo, "show", f"agent/{files.run_id}:docs/adr/0004-safe-vm-max.md")
    assert "written by agent from C2Rust's signature" in adr
