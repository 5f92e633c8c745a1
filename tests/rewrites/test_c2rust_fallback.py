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
from tests.conftest import git, repo_from_texts, reviewing_terminal
from tests.rewrites.c2rust_replies import BROKEN_IPOW, WRONG_IPOW, reply
from tests.rewrites.c2rust_sandbox import c2rust_runner
from tests.rewrites.test_c2rust_cmake import cmake_project
from tests.rewrites.test_c2rust_parts import SAME_STATIC_NAMES

pytestmark = pytest.mark.docker


def transpiler_runner(repo: Path) -> Any:
    runner = c2rust_runner(repo)
    if getattr(runner, "image", "") != images.TOOL_IMAGE:
        runner.close()
        pytest.skip("the c2rust image is not built: 'agent sandbox build --image c2rust' (10-40 min)")
    return runner


def c2rust_alone(root: Path, texts: dict[str, str], max_stages: int) -> tuple[Path, Any, Any]:
    """The project written from ``texts`` translated with no usable reply at all (C2Rust alone);
    every stage must apply. The repository, the run's files and its state."""
    repo = repo_from_texts(root, texts)
    files, state = start(
        repo, "translate to Rust", reviewing_terminal(),
        {"sandbox": "docker", "model": "scripted", "strategy": "c2rust", "max_stages": max_stages, "edit_retries": 0},
        model=ScriptedModel(["no code"] * 20), runner=transpiler_runner(repo),
    )
    outcomes = state["outcomes"]
    assert [o["status"] for o in outcomes] == ["applied"] * len(state["stages"]), [o["reason"] for o in outcomes]
    return repo, files, state


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
    assert "cannot find function `c_mul`" in model.calls[1][-1]["content"]  # cargo check's error went back
    branch = f"agent/{files.run_id}"
    lib = git(c_repo, "show", f"{branch}:rust/src/lib.rs")
    assert "pub fn clamp_rs" in lib and "pub fn gcd_rs" in lib and "ipow_rs" not in lib
    assert 'pub unsafe extern "C" fn ipow(' in lib and "Transpiled by C2Rust from src/arith.c" in lib
    adr = git(c_repo, "show", f"{branch}:docs/adr/0002-translate-clamp-gcd-ipow.md")
    assert "Written by the model, safe Rust behind the C ABI export: `gcd`, `clamp`." in adr
    assert "Transpiled by C2Rust, unsafe Rust with C's raw pointers: `ipow`" in adr
    assert "long ipow" not in git(c_repo, "show", f"{branch}:src/arith.c")


def test_a_wrong_function_lands_transpiled_and_the_right_ones_stay(c_repo: Path) -> None:
    model = ScriptedModel([reply(WRONG_IPOW, "ipow by squaring")])
    files, state = start(
        c_repo, "translate to Rust", reviewing_terminal(),
        {"sandbox": "docker", "model": "scripted", "strategy": "c2rust", "max_stages": 2,
         "candidates": 1},  # one candidate: the tests decide in it, before the floor
        model=model, runner=transpiler_runner(c_repo),
    )
    scaffold, stage = state["outcomes"]
    assert stage["status"] == "applied", stage["reason"]
    assert "15 passed" in stage["tests"] and stage["metrics"]["functions_translated"] == "3/15"
    branch = f"agent/{files.run_id}"
    lib = git(c_repo, "show", f"{branch}:rust/src/lib.rs")
    assert "pub fn clamp_rs" in lib and "pub fn gcd_rs" in lib and "ipow_rs" not in lib
    adr = git(c_repo, "show", f"{branch}:docs/adr/0002-translate-clamp-gcd-ipow.md")
    assert "Written by the model, safe Rust behind the C ABI export: `gcd`, `clamp`." in adr
    assert "Transpiled by C2Rust, unsafe Rust with C's raw pointers: `ipow`" in adr


def test_with_no_usable_reply_at_all_the_run_still_ends_a_tested_rust_crate(c_repo: Path) -> None:
    """C2Rust alone, stage by stage: every translate stage lands transpiled functions, the last
    stage turns the C test program into a cargo test, and the tests are green at every stage."""
    model = ScriptedModel(["not json"] * 24)  # 3 tries for each of 7 translate stages and the last
    files, state = start(
        c_repo, "translate to Rust", reviewing_terminal(),
        {"sandbox": "docker", "model": "scripted", "strategy": "c2rust", "max_stages": 20},
        model=model, runner=transpiler_runner(c_repo),
    )
    outcomes = state["outcomes"]
    assert [o["status"] for o in outcomes] == ["applied"] * 9, [o["reason"] for o in outcomes]
    assert all("15 passed" in o["tests"] for o in outcomes[:8])
    figures = outcomes[7]["metrics"]
    assert figures["functions_translated"] == "15/15" and figures["functions_transpiled"] == 15
    branch = f"agent/{files.run_id}"
    tree = git(c_repo, "ls-tree", "-r", "--name-only", branch).split()
    assert not [p for p in tree if p.endswith((".c", ".h"))] and "rust/tests/c_test_mathlib.rs" in tree
    assert "C2Rust's translation of them" in git(c_repo, "show", f"{branch}:docs/adr/0009-plain-rust-crate.md")
    assert "15 passed" in outcomes[8]["tests"]  # the C test program's own count, run by cargo test


def test_two_files_static_functions_of_one_name_both_end_in_the_crate(tmp_path: Path) -> None:
    """Renamed in their own file first, the two `scale`s land beside each other in lib.rs, each
    called by its own file's function; without that the second stage did not build."""
    unbuilt = {"tests/test_other.c": "int main(void) { return 1; }\n"}  # a test the Makefile never builds
    repo, files, state = c2rust_alone(tmp_path / "m", {**SAME_STATIC_NAMES, **unbuilt}, 10)
    outcomes = state["outcomes"]
    assert state["stages"][1]["kind"] == "rename" and state["stages"][-1]["kind"] == "finalize"
    branch = f"agent/{files.run_id}"
    lib = git(repo, "show", f"{branch}:rust/src/lib.rs")
    assert 'extern "C" fn scale(' in lib and 'extern "C" fn b_two_scale(' in lib
    assert "1 passed" in outcomes[-1]["tests"]
    # the last stage ports the test program the build runs; the one it never built stays as it was
    tree = git(repo, "ls-tree", "-r", "--name-only", branch).split()
    assert "rust/tests/c_test_m.rs" in tree and [p for p in tree if p.endswith(".c")] == ["tests/test_other.c"]


TWO_CONFIGURATIONS = {
    "Makefile": """
        CFLAGS = -Wall -Werror -Iinclude
        test: t_strict t_lax
        \t./t_strict
        \t./t_lax

        t_strict: src/check.c tests/test_check.c
        \t$(CC) $(CFLAGS) -DSTRICT=1 src/check.c tests/test_check.c -o t_strict

        t_lax: src/check.c tests/test_check.c
        \t$(CC) $(CFLAGS) -DSTRICT=0 src/check.c tests/test_check.c -o t_lax
    """,
    "include/check.h": """
        int twice(int x);
        int accepts(int c);
    """,
    "src/check.c": """
        #include "check.h"

        int twice(int x) { return 2 * x; }

        int accepts(int c) {
        #if STRICT
            return c >= 'a' && c <= 'z';
        #else
            return c != 0;
        #endif
        }
    """,
    "tests/test_check.c": """
        #include "check.h"

        int main(void) {
            int bad = twice(4) != 8;
        #if STRICT
            bad += accepts('A') != 0;
        #else
            bad += accepts('A') != 1;
        #endif
            return bad;
        }
    """,
}


def test_a_function_the_build_compiles_under_two_sets_of_macros_gets_an_export_for_each(tmp_path: Path) -> None:
    """http-parser builds `http_parser.c` strict and fast: one Rust `accepts` would fail one of
    the two test programs, so it is transpiled under each set of macros, and a `#define` in
    C picks the export of the macros the caller is compiled with; the run ends in Rust."""
    repo, files, state = c2rust_alone(tmp_path / "check", TWO_CONFIGURATIONS, 3)
    outcomes = state["outcomes"]
    assert len(outcomes) == 3
    branch = f"agent/{files.run_id}"
    stage = git(repo, "show", f"{branch}~1:rust/src/lib.rs")
    assert 'extern "C" fn accepts__cfg_STRICT_1(' in stage and 'extern "C" fn accepts__cfg_STRICT_0(' in stage
    header = git(repo, "show", f"{branch}~1:include/check.h")
    assert ("#if STRICT == 1\n#define accepts accepts__cfg_STRICT_1\n"
            "#else\n#define accepts accepts__cfg_STRICT_0\n#endif\nint accepts(int c);") in header
    assert outcomes[1]["metrics"]["functions_translated"] == "2/2"
    assert "accepts__cfg_STRICT_0" in git(repo, "show", f"{branch}~1:docs/adr/0002-translate-accepts-twice.md")
    assert state["stages"][-1]["kind"] == "finalize" and "1 passed" in outcomes[-1]["tests"]


def test_a_cmake_project_gets_the_floor_from_cmakes_compile_commands(tmp_path: Path) -> None:
    repo = cmake_project(tmp_path)
    model = ScriptedModel(["not json"] * 9)  # three re-asks in each translate stage and in the port
    files, state = start(
        repo, "translate to Rust", reviewing_terminal(),
        {"sandbox": "docker", "model": "scripted", "strategy": "c2rust", "max_stages": 20},
        model=model, runner=transpiler_runner(repo),
    )
    outcomes = state["outcomes"]
    assert [o["status"] for o in outcomes] == ["applied"] * 4, [o["reason"] for o in outcomes]
    assert outcomes[2]["metrics"]["functions_transpiled"] == 3  # applied: ctest passed before and after
    tree = git(repo, "ls-tree", "-r", "--name-only", f"agent/{files.run_id}").split()
    assert "rust/tests/c_test_vm.rs" in tree and not [p for p in tree if p.endswith((".c", ".h"))]


def _long_function_project(root: Path) -> Path:
    cases = "".join(f"        case {i}: return {(i * 37) % 101};\n" for i in range(120))
    return repo_from_texts(root / "table", {
        "Makefile": "test: build/t\n\t./build/t\n\nbuild/t: src/table.c tests/test_table.c\n"
                    "\tmkdir -p build\n\t$(CC) -Isrc src/table.c tests/test_table.c -o $@\n",
        "src/table.h": "int code_of(int c);\n",
        "src/table.c": f'#include "table.h"\n\nint code_of(int c) {{\n    switch (c) {{\n{cases}'
                       "        default: return -1;\n    }\n}\n",
        "tests/test_table.c": '#include "table.h"\n\nint main(void) {\n'
                              "    return !(code_of(3) == 10 && code_of(119) == 60 && code_of(500) == -1);\n}\n",
    })


def test_code_longer_than_a_reply_goes_to_the_transpiler_without_asking_the_model(tmp_path: Path) -> None:
    """A 1.5B asked for a function longer than its reply may be spends the stage's budget and
    never finishes (http-parser's parser is 1,200 lines): the stage's C is measured first."""
    repo = _long_function_project(tmp_path)
    model = ScriptedModel(["no code"] * 5)
    files, state = start(
        repo, "translate to Rust", reviewing_terminal(),
        {"sandbox": "docker", "model": "scripted", "strategy": "c2rust", "max_stages": 2, "reply_tokens": 512},
        model=model, runner=transpiler_runner(repo),
    )
    scaffold, stage = state["outcomes"]
    assert stage["status"] == "applied", stage["reason"]
    assert model.calls == []  # not asked
    assert stage["metrics"]["functions_transpiled"] == 1
    adr = git(repo, "show", f"agent/{files.run_id}:docs/adr/0002-translate-code-of.md")
    assert "the model was not asked: the code is" in adr and "more than one reply may hold (512" in adr
