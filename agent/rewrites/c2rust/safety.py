"""Safety stages: after the transpiler landed unsafe functions, a "make it safe" goal takes them
one at a time, leaves first, and asks the model for a safe ``NAME_rs`` with the signature code
derives from the export's (code then writes the same C ABI export around it, where the
signature allows); `cargo check` errors go back to it, the tests decide, and when it fails the
stage fails and the unsafe function stays (the run goes on with the next one)."""

from __future__ import annotations

import re
import time
from pathlib import Path

from agent.context.languages import parser
from agent.errors import AgentError, ModelReplyError
from agent.graph.asking import ask_model, overflow
from agent.graph.nodes import last_attempt
from agent.graph.services import Services
from agent.graph.state import RunState, Stage
from agent.prompts import render
from agent.rewrites.c2rust import layout
from agent.rewrites.c2rust.exports import (
    changeable,
    pointer_free,
    rust_records,
    rust_signature,
    safe_signature,
    with_body,
    with_exports,
    without_exports,
)
from agent.rewrites.c2rust.fallback import Files, TestsFailed, compiled, failing_tests
from agent.rewrites.c2rust.report import exported_and_unsafe, model_safe, raw_pointers, unsafe_lines
from agent.rewrites.c2rust.rustitems import IDENT, Item, items
from agent.rewrites.c2rust.stages import translation_order
from agent.rewrites.c2rust.translate import (
    NO_REPOSITORY,
    REPLY_GRAMMAR,
    beyond_one_reply,
    feedback_block,
    merge_uses,
    next_adr,
    parse_reply,
    patch_for,
    used_from,
)

SAFETY_GOAL = re.compile(r"\b(safe|safer|safety|unsafe)\b", re.I)
POINTER = re.compile(r"\*\s*(?:const|mut)\b")


def wants_safety(goal: str) -> bool:
    """Whether a goal asks to make the translated Rust safe ("make the transpiled functions safe")."""
    return bool(SAFETY_GOAL.search(goal))


def transpiled(source: str) -> list[Item]:
    """The exports the model did not write safely: C2Rust's, in lib.rs order."""
    exported, _ = exported_and_unsafe(source)
    safe = set(model_safe(source))
    return [i for i in items(source) if i.kind == "fn" and i.name in exported and i.name not in safe]


def plan_safety(repo: Path, max_stages: int) -> list[Stage]:
    """One stage per transpiled function, callees first."""
    lib = repo / layout.LIB_RS
    todo = transpiled(lib.read_text(encoding="utf-8")) if lib.is_file() else []
    if not todo:
        raise AgentError(f"no transpiled (unsafe) functions in {layout.LIB_RS} of {repo}: nothing to make "
                         "safe; translate the C code first ('translate to Rust')")
    names = {i.name for i in todo}
    graph = {f"{layout.LIB_RS}::{i.name}": {f"{layout.LIB_RS}::{n}" for n in IDENT.findall(i.text) if n in names}
             for i in todo}
    stages = [
        Stage(id=n, title=f"Make {group[0].split('::')[1]} safe", kind="safety", symbols=group,
              intent=f"A safe `{group[0].split('::')[1]}_rs` behind the same C ABI export replaces C2Rust's "
                     "unsafe translation; the tests keep passing.", files=[layout.LIB_RS])
        for n, group in enumerate(translation_order(graph, per_stage=1), 1)
    ]
    return stages[:max_stages]


def without_unsafe_blocks(code: str, name: str) -> str:
    """``code`` with every ``unsafe { }`` inside ``fn name`` a plain block: `cargo check` then
    says which operation needs it, and an error goes back to the model, where a block around
    safe code (the 1.5B wrapped `(*ctx).state[0] = ...` on a `&mut SHA256_CTX` in one) would
    have been refused outright for its `unsafe`."""
    data = code.encode()
    fn = next((n for n in parser("rust").parse(data).root_node.children if n.type == "function_item"
               and (found := n.child_by_field_name("name")) is not None and found.text == name.encode()), None)
    cuts, todo = [], [fn] if fn is not None else []
    while todo:
        node = todo.pop()
        if node.type == "unsafe_block" and node.children and node.children[0].type == "unsafe":
            cuts.append((node.children[0].start_byte, node.children[1].start_byte if len(node.children) > 1
                         else node.children[0].end_byte))
        todo.extend(node.children)
    for start, end in sorted(cuts, reverse=True):
        data = data[:start] + data[end:]
    return data.decode()


def _figures(text: str) -> str:
    return f"{unsafe_lines(text)} `unsafe` lines, {raw_pointers(text)} raw-pointer types"


def safety_patch(state: RunState, svc: Services) -> str:
    began = time.monotonic()
    stage = state["stages"][state["current"]]
    name = stage["symbols"][0].split("::")[1]
    lib = svc.worktree.read(layout.LIB_RS) or ""
    item = next((i for i in transpiled(lib) if i.name == name), None)
    if item is None:
        raise ModelReplyError(f"{name} is no longer a transpiled function in {layout.LIB_RS}: nothing to do")
    params = re.search(rf"fn\s+{re.escape(name)}\s*\(([^{{]*)\)", item.text)
    pointers = len(POINTER.findall(params.group(1))) if params else 0
    rest = lib.replace(item.text, "")
    signature = with_body(rust_signature(item.text), item.text)
    safe_fn = safe_signature(name, signature, changeable(pointer_free(rust_records(lib)), item.text))
    export = (
        f"The C ABI export `{name}` that calls it is written for you from its signature: do not write it."
        if safe_fn else
        f'Then write the C ABI export `#[no_mangle] pub unsafe extern "C" fn {name}` with exactly the parameter '
        f"and result types it has now, turning its pointers into slices or references once and calling `{name}_rs`."
    )
    user = render("c2rust_safety", goal=state["goal"], stage_number=str(state["current"] + 1),
                  stage_count=str(len(state["stages"])), fn_name=name, unsafe_fn=item.text,
                  rust=used_from(rest, item.text), feedback=feedback_block(state, layout.LIB_RS),
                  safe_fn=safe_fn or f"pub fn {name}_rs(...)", export=export)
    root = svc.worktree.path

    def to_files(reply: str) -> Files:
        code, notes = parse_reply(reply)
        if safe_fn:  # code writes the export from the signature: a model's own is dropped, not trusted
            code = without_exports(code, [name])
        code, wired = with_exports(code, {name: signature})
        export = re.search(rf'extern\s+"C"\s+fn\s+{re.escape(name)}\s*\(([^{{]*)\)', code)
        if export is None or not re.search(rf"\bfn\s+{re.escape(name)}_rs\b", code):
            raise ModelReplyError(f'write a safe `{name}_rs` and `#[no_mangle] pub extern "C" fn {name}` calling it')
        if len(POINTER.findall(export.group(1))) != pointers:
            raise ModelReplyError(f"the export {name} must keep its {pointers} pointer parameter(s): "
                                  "the C callers pass exactly those")
        code = without_unsafe_blocks(code, f"{name}_rs")
        safe = next((i for i in items(code) if i.name == f"{name}_rs"), None)
        if safe is not None and (re.search(r"\bunsafe\b", safe.text) or POINTER.search(safe.text)):
            raise ModelReplyError(f"`{name}_rs` must be safe Rust: no `unsafe`, no raw pointers; "
                                  "only the export turns pointers into slices or references")
        number = next_adr(root)

        def build(text: str) -> Files:
            new = lib.replace(item.text, text)
            adr = (f"# {number:04d} — Make {name} safe\n\nStatus: proposed in stage {stage['id']} of agent run "
                   f"{state['run_id']}\n\n## What\nC2Rust's unsafe `{name}` is replaced by a safe `{name}_rs` "
                   f"behind the same C ABI export; only the export touches raw pointers.\n\n## Figures\n- `{name}` "
                   f"before: {_figures(item.text)}; after: {_figures(text)}.\n- lib.rs before: {_figures(lib)}; "
                   f"after: {_figures(new)}.\n" + ("- The export was written by agent from C2Rust's signature around "
                                                   f"the model's `{name}_rs`.\n" if wired else "")
                   + (f"\n## Notes\n{notes}\n" if notes else ""))
            return Files({layout.LIB_RS: new, f"docs/adr/{number:04d}-safe-{name.replace('_', '-')}.md": adr})

        _, files, errors = compiled(svc, merge_uses(lib, code).strip() + "\n", build)
        if errors:
            raise ModelReplyError(f"`cargo check` failed:\n{errors}")
        return files

    unasked = beyond_one_reply(svc, item.text) or overflow(svc, user)
    if unasked:  # libscrypt's SHA-256 transform: 4,400 lines of C2Rust's Rust
        raise ModelReplyError(f"the model was not asked: {unasked}; {name} stays C2Rust's unsafe translation")
    try:
        files = ask_model(svc, state, NO_REPOSITORY, user, to_files, grammar=REPLY_GRAMMAR,
                          what=f"Stage {stage['id']}: making {name} safe with {svc.settings.model}")
    except ModelReplyError as err:
        raise ModelReplyError(f"{err}; {name} stays C2Rust's unsafe translation") from None
    if last_attempt(state, svc, time.monotonic() - began):
        failing = failing_tests(svc, state, files)
        if failing:
            raise ModelReplyError(f"{TestsFailed(failing)}; {name} stays C2Rust's unsafe translation")
    return patch_for(svc.worktree, files.contents, files.deleted)
