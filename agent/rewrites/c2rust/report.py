"""A translation's figures after each stage: how far it is, the tests, ``unsafe`` outside the
FFI boundary, and clippy's warnings (run through the sandbox runner, like the tests)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import tree_sitter as ts

from agent.context.languages import parser
from agent.rewrites.c2rust import layout
from agent.rewrites.c2rust.configurations import VARIANT
from agent.rewrites.c2rust.rustitems import extern_c
from agent.sandbox.base import Limits, Runner

CLIPPY = ["cargo", "clippy", "--offline", "--message-format=short", "--manifest-path", layout.CARGO_TOML]


def _is_extern(fn: ts.Node) -> bool:
    """A ``pub extern "C"`` function: an export (a transpiled file's private helpers are not)."""
    return any(c.type == "visibility_modifier" for c in fn.children) and extern_c(fn)


def _unsafe_in(node: ts.Node) -> int:
    unsafe_fn = node.type == "function_modifiers" and b"unsafe" in (node.text or b"")
    own = 1 if node.type == "unsafe_block" or unsafe_fn else 0
    return own + sum(_unsafe_in(c) for c in node.children if c.type != "function_item")


def _exports(source: str) -> tuple[dict[str, int], int]:
    """The exported ``extern "C"`` functions with the ``unsafe`` fns and blocks in each, and the
    ``unsafe`` fns and blocks anywhere else."""
    tree = parser("rust").parse(source.encode())
    exported: dict[str, int] = {}
    unsafe = 0
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        for child in node.children:
            if child.type == "function_item":
                name = child.child_by_field_name("name")
                if _is_extern(child):
                    exported[name.text.decode() if name is not None and name.text else "?"] = _unsafe_in(child)
                else:
                    unsafe += _unsafe_in(child)
            stack.append(child)
    return exported, unsafe


def exported_and_unsafe(source: str) -> tuple[list[str], int]:
    """Names of the exported ``extern "C"`` functions, and ``unsafe`` blocks or fns anywhere else."""
    exported, unsafe = _exports(source)
    return sorted(exported), unsafe


def model_safe(source: str) -> list[str]:
    """The exports the model wrote safely: behind a safe ``NAME_rs`` twin, or with no ``unsafe``
    at all (C2Rust marks every function it writes ``unsafe``)."""
    exported, _ = _exports(source)
    return sorted(n for n, unsafe in exported.items()
                  if not unsafe or re.search(rf"\bfn\s+{re.escape(n)}_rs\b", source))


def unsafe_lines(source: str) -> int:
    """Lines inside ``unsafe`` blocks and ``unsafe fn`` items (C2SaferRust's measure)."""
    lines: set[int] = set()
    stack = [parser("rust").parse(source.encode()).root_node]
    while stack:
        node = stack.pop()
        mods = next((c for c in node.children if c.type == "function_modifiers"), None)
        unsafe_fn = node.type == "function_item" and mods is not None and b"unsafe" in (mods.text or b"")
        if node.type == "unsafe_block" or unsafe_fn:
            lines.update(range(node.start_point[0], node.end_point[0] + 1))
        else:
            stack.extend(node.children)
    return len(lines)


def raw_pointers(source: str) -> int:
    """Raw-pointer types written in ``source`` (``*const T``/``*mut T``, each occurrence)."""
    count, stack = 0, [parser("rust").parse(source.encode()).root_node]
    while stack:
        node = stack.pop()
        count += node.type == "pointer_type"
        stack.extend(node.children)
    return count


def clippy_warnings(root: Path, runner: Runner, limits: Limits) -> int | str:
    result = runner.run(root, CLIPPY, limits)
    if "no such command" in result.output and "clippy" in result.output:
        return "clippy not installed"
    found = re.findall(r"^\S+\.rs:\d+:\d+: (warning|error)(\[E\d+\])?", result.output, flags=re.M)
    if result.exit_code != 0 and (not found or any(code for _, code in found)):
        return f"clippy failed (status {result.exit_code})"  # the crate does not build
    return len(found)  # deny-level lints (C2Rust writes `if 0 != 0`) fail clippy but are findings


def figures(root: Path, verify: dict[str, Any], runner: Runner, limits: Limits) -> dict[str, Any]:
    lib = root / layout.LIB_RS
    text = lib.read_text(encoding="utf-8") if lib.is_file() else ""
    exports, unsafe = exported_and_unsafe(text)
    exported = {name.split(VARIANT)[0] for name in exports}  # one C function, an export per configuration
    left = len(layout.remaining_c(root))
    safe = model_safe(text)
    return {
        "functions_translated": f"{len(exported)}/{len(exported) + left}",
        "functions_model_safe": len(safe),
        "functions_transpiled": len(exported) - len(safe),
        "unsafe_lines": unsafe_lines(text),
        "raw_pointers": raw_pointers(text),
        "tests_passing": f"{verify.get('passed', 0)} passed, {verify.get('failed', 0)} failed",
        "unsafe_outside_ffi": unsafe,
        "clippy_warnings": clippy_warnings(root, runner, limits) if lib.is_file() else "no crate yet",
    }
