"""The floor of a translate stage: checking the model's Rust fast (``cargo check``) and by the
tests, and, where it fails, landing C2Rust's translation of the functions instead, one
function at a time, so the stage still ends linked with the original tests green."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from agent.errors import ModelReplyError
from agent.graph.nodes import candidate_limits
from agent.graph.services import Services
from agent.graph.state import RunState
from agent.rewrites.c2rust import layout
from agent.rewrites.c2rust.builds import Build
from agent.rewrites.c2rust.configurations import Split, declared, differing, per_configuration
from agent.rewrites.c2rust.rustfix import error_text, fixed
from agent.rewrites.c2rust.rustitems import (
    DECLARATIONS,
    IDENT,
    defined_names,
    exported,
    items,
    model_parts,
    render,
    with_dependencies,
)
from agent.rewrites.c2rust.transpile import transpile
from agent.sandbox.checks import run_checks
from agent.vcs.worktree import RunWorktree

CHECK = ["cargo", "check", "--offline", "--quiet", "--message-format=json-diagnostic-short",
         "--manifest-path", layout.CARGO_TOML]
STABLE_FEATURES = {"raw_ref_op", "label_break_value"}  # stable since Rust 1.82 and 1.65
FIX_ROUNDS = 3  # each round a `cargo check`: rustc reports some errors only once others are gone
T = TypeVar("T")


@dataclass(frozen=True)
class Files:
    """A stage's proposal before it becomes a patch: files written and files deleted."""

    contents: dict[str, str]
    deleted: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Fallback:
    """The functions C2Rust's translation stands in for, that Rust, and why the model's went;
    the stage's functions that stay C, each with why; and the C lines that pick a function's
    export per configuration, for those translated once per set of macros (``configurations``)."""

    names: list[str]
    rust: str
    why: str
    stays_c: dict[str, str] = field(default_factory=dict)
    redirects: dict[str, str] = field(default_factory=dict)


class TestsFailed(ModelReplyError):
    """The model's Rust builds but the original tests fail with it."""

    def __init__(self, summary: str) -> None:
        super().__init__(f"the original tests failed with the model's Rust: {summary}")


def _with_files(worktree: RunWorktree, files: Files, action: Callable[[Path], T]) -> T:
    """Run ``action`` on the worktree with ``files`` written; the worktree is left at HEAD."""
    head = worktree.head()
    try:
        for rel, text in layout.with_runtime_crates(files.contents, worktree.read).items():
            (worktree.path / rel).parent.mkdir(parents=True, exist_ok=True)
            (worktree.path / rel).write_text(text, encoding="utf-8")
        for rel in files.deleted:
            (worktree.path / rel).unlink(missing_ok=True)
        return action(worktree.path)
    finally:
        worktree.reset(head)


def _check(svc: Services, files: Files, command: list[str] = CHECK) -> str | None:
    """``cargo check``'s output for the crate with ``files`` written; None when it builds."""
    result = _with_files(svc.worktree, files, lambda root: svc.runner.run(root, command, svc.limits))
    return None if result.exit_code == 0 else result.output


def compile_errors(svc: Services, files: Files, command: list[str] = CHECK) -> str:
    """``cargo check``'s errors for the crate with ``files`` written; empty when it builds."""
    output = _check(svc, files, command)
    return "" if output is None else error_text(output)[-2500:]


def compiled(svc: Services, code: str, build: Callable[[str], Files],
             path: str = layout.LIB_RS) -> tuple[str, Files, str]:
    """The model's ``code``, as the compiler's machine-applicable fixes leave it, the stage's
    files ``build`` lays out around it (``code`` is part of ``path``), and the errors still left
    (empty when it builds). A test file is checked with the tests, its calls against lib.rs."""
    files = build(code)
    command = CHECK if path == layout.LIB_RS else [*CHECK, "--tests"]
    library = "" if path == layout.LIB_RS else files.contents.get(layout.LIB_RS) or svc.worktree.read(layout.LIB_RS)
    for _ in range(FIX_ROUNDS):
        output = _check(svc, files, command)
        if output is None:
            return code, files, ""
        text = files.contents[path]
        at = text.rfind(code)
        begin = len(text[:at].encode())
        better = fixed(text, (begin, begin + len(code.encode())), output, path, library or "") if at >= 0 else None
        if better is None:
            return code, files, error_text(output)[-2500:]
        repaired = better[at:len(better) - (len(text) - at - len(code))]
        code, files = repaired, build(repaired)
    return code, files, compile_errors(svc, files, command)


def failing_tests(svc: Services, state: RunState, files: Files) -> str:
    """Why the original tests fail with ``files`` written, or empty when they pass. They get the
    time a candidate's tests get: the model's Rust for c-mathlib's stage 2 looped forever and
    held the stage for the default 300 s."""
    changed = [rel for rel, text in layout.with_runtime_crates(files.contents, svc.worktree.read).items()
               if svc.worktree.read(rel) != text]
    report = _with_files(svc.worktree, files, lambda root: run_checks(
        root, state["test_command"], svc.runner, candidate_limits(svc, state, changed)))
    return "" if report.ok else report.summary()


def fall_back(svc: Services, build: Build, file: str, names: list[str], lib: str, model_code: str, why: str,
              stage_files: Callable[[str, Fallback], Files], passes: Callable[[Files], bool] | None = None) -> Files:
    """The stage with C2Rust's translation for every function whose model-written Rust does not
    build next to the rest; ``stage_files(model_code, fallback)`` lays the stage out. With
    ``passes`` (the model's Rust failed the tests), a model function is kept only if the tests
    also pass with it beside the others transpiled: one wrong function no longer takes the
    stage's right ones down with it."""
    made = transpile(svc.worktree.path, file, build, svc.runner, svc.limits)
    if made.rust is None:
        raise ModelReplyError(f"{why}; no transpiled fallback: {made.reason}")
    pool = items(made.rust)
    changed = differing(made)  # by the build's macros: one export per configuration
    varied = [n for n in names if n in changed]
    split = per_configuration(made, varied, changed, defined_names(lib)) if varied else None
    tests_declare = [n for n in varied if set(declared(svc.worktree.path, n)) & set(layout.c_tests(svc.worktree.path))]
    if tests_declare and not isinstance(split, str):  # their own prototype: a stage may not edit the tests
        split = f"the C tests declare {', '.join(tests_declare)} themselves, and a stage may not edit them"
    stays_c = {n: f"the build compiles {file} under different macros ({made.macros or 'none'}; "
                  f"{'; '.join(m or 'none' for m, _ in made.variants)}), and one export per configuration "
                  f"cannot be chosen by C: {split}" for n in varied} \
        if isinstance(split, str) else {}
    if len(stays_c) == len(names):
        raise ModelReplyError(f"{why}; no transpiled fallback: {stays_c[names[0]]}")
    parts, shared = model_parts(model_code, names) if model_code else ({}, "")
    short_why = why.splitlines()[0].rstrip(":")[:200]

    def layout_with(kept: list[str]) -> Files:
        code = shared + "\n".join(parts[n] for n in kept) if kept else ""
        floor = [n for n in names if n not in kept and n not in varied]
        taken = with_dependencies(pool, floor, defined_names(lib + code))
        rust = render([exported(i) if i.name in floor else i for i in taken])
        both = per_configuration(made, varied, changed, defined_names(lib + code + rust)) \
            if varied and not stays_c else None
        if isinstance(both, Split):
            rust += both.rust
        redirects = both.redirects if isinstance(both, Split) else {}
        return stage_files(code, Fallback([*floor, *redirects], rust, short_why, stays_c, redirects))

    def works(kept: list[str]) -> bool:
        files = layout_with(kept)
        return not compile_errors(svc, files) and (passes is None or passes(files))

    kept = [n for n in names if n in parts and n not in varied and works([n])]
    files = layout_with(kept)
    if len(kept) > 1 and not works(kept):  # each alone works, together they do not
        kept, files = [], layout_with([])
    if not kept:
        errors = compile_errors(svc, files)
        if errors:
            raise ModelReplyError(f"{why}; C2Rust's translation does not build either:\n{errors}")
    return files


def declarations(svc: Services, build: Build, file: str, types: set[str], c_code: str, lib: str) -> str:
    """C2Rust's declarations of the ``types`` a stage's signatures name, when ``lib`` lacks one,
    with the constants and types its C code uses and what they use in turn: the model is shown a
    struct's Rust layout, and code can wire an export taking it, before any function using it
    has landed transpiled. Empty when nothing is missing (no transpiler run) or none can be had."""
    have = defined_names(lib)
    if not types - have:
        return ""
    made = transpile(svc.worktree.path, file, build, svc.runner, svc.limits, variants=False)
    if made.rust is None:
        return ""
    pool = [i for i in items(made.rust) if i.kind in DECLARATIONS]
    wanted = (types | set(IDENT.findall(c_code))) & {i.name for i in pool}
    taken = with_dependencies(pool, sorted(wanted - have), have)
    return render(taken) if taken else ""


def transpiled_tests(svc: Services, build: Build, tests: list[str], crate: str) -> dict[str, str]:
    """The C test programs as cargo tests, by C2Rust (see ``as_cargo_test``)."""
    ported: dict[str, str] = {}
    for rel in tests:
        made = transpile(svc.worktree.path, rel, build, svc.runner, svc.limits, variants=False)
        if made.rust is None:
            raise ModelReplyError(f"no transpiled C tests to fall back on: {made.reason}")
        path, text = as_cargo_test(made.rust, rel, crate)
        ported[path] = text
    return ported


def as_cargo_test(source: str, rel: str, crate: str) -> tuple[str, str]:
    """C2Rust's translation of the C test program ``rel`` as an integration test: its ``main``
    runs in one ``#[test]`` that expects status 0, calling the crate's exports as C did. The
    crate is named by path: C may declare a type of the crate's name (a `packet` library's
    `packet` struct), and a bare `use packet` is then ambiguous."""
    features = re.search(r"^#!\[feature\(([^)]*)\)\]\n", source, flags=re.M)
    if features:  # what stable Rust has since, C2Rust still asks for
        nightly = [f.strip() for f in features.group(1).split(",") if f.strip() not in STABLE_FEATURES]
        if nightly:  # http-parser's test program defines a variadic function: `c_variadic`
            raise ModelReplyError(f"C2Rust's {rel} needs nightly Rust ({', '.join(nightly)}), which the "
                                  "sandbox's stable toolchain cannot build")
        source = source.replace(features.group(0), "", 1)
    main = next((i for i in items(source) if i.kind == "fn" and i.name == "main"), None)
    if main is None or not re.search(r"\bfn\s+main_0\s*\(\s*\)", source):
        raise ModelReplyError(f"C2Rust's {rel} has no argument-less main to run as a test")
    stem = re.sub(r"\W", "_", Path(rel).stem)
    return f"rust/tests/c_{stem}.rs", (
        source.replace(main.text, "").rstrip() + "\n\n"
        f"use ::{crate} as _; // links the crate whose exports the C test program calls\n\n"
        f"#[test]\nfn c_{stem}() {{\n"
        f"    assert_eq!(unsafe {{ main_0() }}, 0, \"the C test program {rel} failed\");\n}}\n"
    )
