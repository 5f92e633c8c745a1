"""C to Rust on a small CMake project written here (a library, a test program, ctest), with
recorded replies, in the Docker sandbox: the scaffold wires cargo into CMake, every stage passes
ctest against the mixed build, and the end is a plain Rust crate that ctest still tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agent.llm.scripted import ScriptedModel
from agent.rewrites.c2rust.builds import build_of
from agent.rewrites.c2rust.stages import plan_stages
from agent.runs.session import start
from tests.conftest import git, repo_from_texts, reviewing_terminal
from tests.rewrites.c2rust_replies import reply
from tests.rewrites.c2rust_sandbox import c2rust_runner

FILES = {
    "CMakeLists.txt": """
        cmake_minimum_required(VERSION 3.13)
        project(vecmath C)
        add_library(vecmath STATIC src/vm.c)
        target_include_directories(vecmath PUBLIC include)
        add_executable(test_vm tests/test_vm.c)
        target_link_libraries(test_vm PRIVATE vecmath)
        enable_testing()
        add_test(NAME test_vm COMMAND test_vm)
    """,
    "include/vm.h": """
        #ifndef VM_H
        #define VM_H
        int vm_add(int a, int b);
        long vm_dot(const int *a, const int *b, int n);
        int vm_max(const int *a, int n);
        #endif
    """,
    "src/vm.c": """
        #include "vm.h"

        int vm_add(int a, int b) { return a + b; }

        long vm_dot(const int *a, const int *b, int n) {
            long total = 0;
            for (int i = 0; i < n; i++) total += (long)a[i] * b[i];
            return total;
        }

        int vm_max(const int *a, int n) {
            int best = a[0];
            for (int i = 1; i < n; i++) if (a[i] > best) best = a[i];
            return best;
        }
    """,
    "tests/test_vm.c": """
        #include <stdio.h>
        #include "vm.h"

        int main(void) {
            int x[] = {1, 2, 3}, y[] = {4, -5, 6};
            int bad = 0;
            if (vm_add(2, 3) != 5) { puts("FAIL vm_add"); bad++; }
            if (vm_dot(x, y, 3) != 12) { puts("FAIL vm_dot"); bad++; }
            if (vm_max(y, 3) != 6) { puts("FAIL vm_max"); bad++; }
            printf("%d failed\\n", bad);
            return bad != 0;
        }
    """,
}

WIRED = """
pub fn vm_add_rs(a: i32, b: i32) -> i32 {
    a.wrapping_add(b)
}

pub fn vm_max_rs(a: &[c_int]) -> c_int {
    a.iter().copied().max().unwrap_or(0)
}
"""

DOT = """
pub fn vm_dot_rs(a: &[c_int], b: &[c_int]) -> i64 {
    a.iter().zip(b).fold(0i64, |t, (&x, &y)| t.wrapping_add(i64::from(x) * i64::from(y)))
}

/// # Safety
/// `a` and `b` point to `n` readable ints.
#[no_mangle]
pub unsafe extern "C" fn vm_dot(a: *const c_int, b: *const c_int, n: c_int) -> c_long {
    if a.is_null() || b.is_null() || n <= 0 {
        return 0;
    }
    let n = n as usize;
    vm_dot_rs(unsafe { std::slice::from_raw_parts(a, n) }, unsafe { std::slice::from_raw_parts(b, n) })
}
"""

TESTS = """
use vecmath::*;

#[test]
fn adds() {
    assert_eq!(vm_add_rs(2, 3), 5);
}

#[test]
fn dots() {
    assert_eq!(vm_dot_rs(&[1, 2, 3], &[4, -5, 6]), 12);
}

#[test]
fn maxes() {
    assert_eq!(vm_max_rs(&[4, -5, 6]), 6);
}
"""


def cmake_project(root: Path) -> Path:
    return repo_from_texts(root / "vecmath", FILES)


def test_plan_of_a_cmake_project_wires_cmake(tmp_path: Path) -> None:
    repo = cmake_project(tmp_path)
    build = build_of(repo)
    assert (build.kind, build.path) == ("cmake", "CMakeLists.txt")
    stages = plan_stages(repo, 20)
    # code writes the exports of vm_add and vm_max (numbers, a slice); vm_dot's two arrays share a length
    assert [s["title"] for s in stages[1:3]] == ["Translate vm_add, vm_max to Rust", "Translate vm_dot to Rust"]
    assert [s["kind"] for s in stages] == ["scaffold", "translate", "translate", "finalize"]
    assert "CMakeLists.txt" in stages[0]["files"]
    wired = build.wire(repo, "vecmath")
    # the test program already links with a keyword (PRIVATE): mixing signatures is an error
    assert "target_link_libraries(test_vm PUBLIC ${AGENT_RUST_LIB} pthread dl m)" in wired
    assert "target_link_libraries(vecmath ${AGENT_RUST_LIB} pthread dl m)" in wired
    assert "add_dependencies(vecmath agent_rust_lib)" in wired


@pytest.mark.docker
def test_cmake_project_becomes_a_rust_crate(tmp_path: Path) -> None:
    repo = cmake_project(tmp_path)
    seen: list[dict[str, Any]] = []
    model = ScriptedModel([reply(WIRED, "slices"), reply(DOT, "slices at the boundary"),
                           reply(TESTS, "one test per check")])
    files, state = start(
        repo, "translate to Rust", reviewing_terminal(seen=seen),
        {"sandbox": "docker", "model": "scripted", "strategy": "c2rust", "max_stages": 20},
        model=model, runner=c2rust_runner(repo),
    )
    outcomes = state["outcomes"]
    assert [o["status"] for o in outcomes] == ["applied"] * 4, [o["reason"] for o in outcomes]
    assert outcomes[2]["metrics"]["functions_translated"] == "3/3"
    assert "add_custom_command(OUTPUT ${AGENT_RUST_LIB}" in seen[0]["patch"]
    branch = f"agent/{files.run_id}"
    tree = git(repo, "ls-tree", "-r", "--name-only", branch).split()
    assert not [p for p in tree if p.endswith((".c", ".h"))]
    assert "add_test(NAME cargo_test" in git(repo, "show", f"{branch}:CMakeLists.txt")
    # after the last stage ctest ran the ported tests through cargo
    assert seen[-1]["verify"]["ok"], seen[-1]["verify"]["output_tail"]
