"""Translate stages: the model writes Rust for a few C functions; code appends it to the
crate, cuts the C definitions out, and writes the stage's ADR, all in one reviewed patch."""

from __future__ import annotations

import re
import time
from pathlib import Path

from agent.edits.whole_file import CODE_LINE, FENCE
from agent.errors import ModelReplyError
from agent.graph.asking import ask_model, overflow
from agent.graph.nodes import last_attempt
from agent.graph.services import Services
from agent.graph.state import RunState, Stage
from agent.prompts import render
from agent.rewrites.c2rust import layout
from agent.rewrites.c2rust.builds import build_of
from agent.rewrites.c2rust.configurations import with_redirects
from agent.rewrites.c2rust.csource import CFunction, compact, functions, remove_functions
from agent.rewrites.c2rust.exports import (
    c_signature,
    changeable,
    crate_types,
    named_types,
    pointer_free,
    rust_records,
    safe_signature,
    with_body,
    with_exports,
    without_exports,
)
from agent.rewrites.c2rust.fallback import (
    Fallback,
    Files,
    TestsFailed,
    compiled,
    declarations,
    failing_tests,
    fall_back,
)
from agent.rewrites.c2rust.rustitems import (
    DECLARATIONS,
    IDENT,
    exported_names,
    items,
    only_asked,
    outline,
    with_dependencies,
    without_declared,
    without_items,
)
from agent.vcs.worktree import RunWorktree

# One fenced block of Rust, then a line of notes: small models write code far better as plain
# code than escaped in a JSON string (ADR 0002); the 0.5B's JSON port ended its string at `b"`.
# The notes are bounded: on cJSON the 1.5B's went on to the reply's 1536-token cap, three times.
NOTE_CHARS = 300
REPLY_GRAMMAR = "\n".join([r'root ::= "```rust\n" line* "```\nNotes: " note', CODE_LINE,
                           rf"note ::= [^\n]{{0,{NOTE_CHARS}}}"])
NO_REPOSITORY = "(left out: the task below carries what this stage needs)\n"  # see CToRust.propose
C_TYPES_IN_RUST = [  # C spelling, its Rust type in the prompt, what the ADR adds; longest C
    # spellings first, so "unsigned int" is not also read as "int"
    ("unsigned char", "u8", ""), ("unsigned int", "c_uint", " (u32)"),
    ("unsigned long", "c_ulong", " (u64 on this target)"), ("uint32_t", "u32", ""), ("uint8_t", "u8", ""),
    ("size_t", "usize", ""), ("long", "c_long", " (i64 on this target)"), ("double", "f64", ""),
    ("char", "c_char", ", bytes as `u8` inside"), ("int", "c_int", " (0/1 for truth values)"),
]


def parse_reply(reply: str) -> tuple[str, str]:
    """The Rust code of a reply's fenced block, and the notes after it."""
    block = FENCE.search(reply)
    if block is None:
        if reply.count("```") % 2:
            raise ModelReplyError("the reply was cut off inside its ```rust block: reply with shorter code")
        raise ModelReplyError("the reply has no ```rust block: put the Rust code in one, then one line `Notes: ...`")
    code = block.group(1).strip()
    if not re.search(r"\bfn\s+\w+\s*\(", code):  # the 1.5B answered compiler errors with prose here
        raise ModelReplyError("the ```rust block holds no Rust function: put the whole corrected code in it, "
                              "and one or two sentences after `Notes:`")
    return code + "\n", reply[block.end():].strip().removeprefix("Notes:").strip()


def added_lines(patch: str, path: str) -> str:
    """What ``patch`` adds to ``path``: the previous attempt, shown again on a repair."""
    out, inside = [], False
    for line in patch.splitlines():
        if line.startswith("diff --git "):
            inside = line.endswith(f" b/{path}")
        elif inside and line.startswith("+") and not line.startswith("+++"):
            out.append(line[1:])
    return "\n".join(out)


PREVIOUS_SHOWN_CHARS = 6000  # a previous attempt longer than this is not shown again


def feedback_block(state: RunState, path: str) -> str:
    """Why the last attempt was not accepted, with what it added when that is short: on
    libscrypt a stage's attempt held C2Rust's 4,400-line SHA-256 transform, and shown again it
    made a 70,000-token prompt."""
    feedback = state.get("feedback", "")
    if not feedback:
        return ""
    before = added_lines(state.get("patch", ""), path)
    shown = f"Your previous attempt added:\n```rust\n{before}\n```\n" if 0 < len(before) <= PREVIOUS_SHOWN_CHARS else ""
    return (
        f"\n{shown}It was not accepted. Read the compiler and test output below, find the cause, "
        f"and reply with corrected code:\n{feedback[-2500:]}\n"
    )


USE = re.compile(r"^use\s+([\w:]+?)(?:::\{([\w\s,]*)\}|::(\w+))\s*;\s*$")


def _use_names(found: re.Match[str]) -> list[str]:
    """The names one matched ``use`` line brings in."""
    return [n.strip() for n in (found.group(2) or found.group(3)).split(",") if n.strip()]


def _imported(lib: str) -> set[str]:
    """The names ``lib``'s one-line ``use`` items bring in."""
    return {n for line in lib.splitlines() if (found := USE.match(line.strip())) for n in _use_names(found)}


def merge_uses(lib: str, code: str) -> str:
    """``code`` without the imports ``lib`` already has: a name imported twice does not compile,
    and small models write the library's ``use`` lines again, whole or in part."""
    have, kept = _imported(lib), []
    for line in code.splitlines():
        found = USE.match(line.strip())
        if found:
            new = [n for n in _use_names(found) if n not in have]
            if not new:
                continue
            line = f"use {found.group(1)}::{new[0] if len(new) == 1 else '{' + ', '.join(new) + '}'};"
        kept.append(line)
    return "\n".join(kept) + "\n"


def patch_for(worktree: RunWorktree, contents: dict[str, str], deleted: list[str]) -> str:
    """The patch writing ``contents`` and deleting ``deleted`` (the worktree is left at HEAD)."""
    head = worktree.head()
    try:
        for rel in deleted:
            (worktree.path / rel).unlink(missing_ok=True)
        return worktree.diff_for(layout.with_runtime_crates(contents, worktree.read))
    finally:
        worktree.reset(head)


def next_adr(root: Path) -> int:
    numbers = [int(p.name[:4]) for p in (root / "docs" / "adr").glob("[0-9][0-9][0-9][0-9]-*.md")]
    return max(numbers, default=0) + 1


def _c_types(signatures: list[str]) -> list[tuple[str, str, str]]:
    """The entries of C_TYPES_IN_RUST for the C types ``signatures`` use, in table order."""
    text, found = " ".join(signatures), []
    for c_type, rust, detail in C_TYPES_IN_RUST:
        pattern = rf"\b{c_type}\b"
        if re.search(pattern, text):
            found.append((c_type, rust, detail))
            text = re.sub(pattern, " ", text)
    return found


def prompt_types(signatures: list[str]) -> str:
    """The type rules for the C types in ``signatures`` only: shown the whole table, the 1.5B
    wrote a `use` line for each of its types, over and over, until cut off."""
    joined = " ".join(signatures)
    rules = [f"{c_type} -> {rust}" for c_type, rust, _ in _c_types(signatures)]
    if "*" in joined:
        rules += ["const T * -> *const T", "T * -> *mut T"]
    if re.search(r"\bchar\s*\*", joined):
        rules.append("a C string becomes `CStr::from_ptr(s).to_bytes()` (or a `&mut [u8]` of its length) "
                     "in the wrapper")
    return ", ".join(rules) or "no C types to map"


def type_notes(signatures: list[str]) -> list[str]:
    return [f"C `{c_type}` is `{rust}`{detail}" for c_type, rust, detail in _c_types(signatures)]


def adr_text(number: int, stage: Stage, run_id: str, funcs: list[CFunction], notes: str, left: list[str],
             transpiled: Fallback | None = None, wired: list[str] | None = None) -> str:
    """The stage's decision record; it says which functions the model wrote in safe Rust, which
    exports code wrote around them, and which are C2Rust's unsafe translation, and why."""
    moved = transpiled.names if transpiled else []
    safe = [f for f in funcs if f.name not in moved]
    file = stage["symbols"][0].split("::")[0]
    pointers = any("*" in f.signature for f in safe)
    ownership = (
        "pointer arguments are borrowed for the call only: the exported wrapper checks them for "
        "null and turns them into a slice or `&CStr` once; nothing is allocated or freed across the boundary"
        if pointers else "scalar arguments and results, passed by value; nothing is owned across the boundary"
    )
    rest = ", ".join(f"`{n.split('::')[1]}`" for n in left) or "none: every function is Rust now"
    quoted = ", ".join(f"`{f.name}`" for f in funcs)
    model_line = (f"- Written by the model, safe Rust behind the C ABI export: "
                  f"{', '.join(f'`{f.name}`' for f in safe)}.\n" if safe else "")
    floor_line = (f"- Transpiled by C2Rust, unsafe Rust with C's raw pointers: {', '.join(f'`{n}`' for n in moved)}; "
                  f"the model's Rust for them was not kept ({transpiled.why}). A safety stage can replace "
                  "them behind the same signature.\n" if transpiled and moved else "")
    stays_line = "".join(f"- `{name}` stays C: {why}.\n" for name, why in transpiled.stays_c.items()) \
        if transpiled else ""
    stays_line += "".join(
        f"- `{name}` is transpiled once per set of macros the build compiles `{file}` with, as "
        f"{', '.join(f'`{d.split()[2]}`' for d in redirect.splitlines() if d.startswith('#define'))}, and a "
        "`#define` before its C declaration picks the one of the macros each C file is compiled with.\n"
        for name, redirect in (transpiled.redirects.items() if transpiled else []))
    wired_line = (f"- Their C ABI exports {', '.join(f'`{n}`' for n in wired)} were written by agent from the C "
                  "signatures (the model wrote only the safe `_rs` functions).\n" if wired else "")
    return (
        f"# {number:04d} — Translate {', '.join(f.name for f in funcs)} to Rust\n\n"
        f"Status: proposed in stage {stage['id']} of agent run {run_id}\n\n"
        f"## What\n{quoted} from `{file}` are now Rust in `{layout.LIB_RS}`, exported over the C ABI "
        "with their C signatures; their C definitions are removed, so the rest of the C code and "
        "the original C tests call the Rust versions unchanged.\n\n"
        "## Safety\n" + model_line + wired_line + floor_line + stays_line + "\n"
        "## Choices\n"
        + (f"- Ownership: {ownership}.\n" if safe else "")
        + "- Error handling: the C functions report no errors, so neither do the Rust ones; they "
        "keep the C results for every input (wrapping where C overflows).\n"
        + f"- Integer types: {'; '.join(type_notes([f.signature for f in funcs])) or 'none in the signatures'}.\n"
        + (f"- The translator's notes: {notes}\n" if notes and safe else "")
        + f"\n## Left\nStill in C ({len(left)}): {rest}.\n"
    )


PROTOTYPE = re.compile(r"^[\w\s\*]*?\b(\w+)\s*\([^;{]*\)\s*;\s*$")


def _headers(root: Path, names: list[str]) -> str:
    """The headers declaring ``names``, without the other functions' prototypes (types, macros
    and includes stay; a small model writes whatever functions it is shown) and ``compact``."""
    blocks = []
    for rel in layout.headers(root):
        text = compact((root / rel).read_text(encoding="utf-8", errors="replace"))
        if any(re.search(rf"\b{n}\s*\(", text) for n in names):
            lines = [line for line in text.splitlines()
                     if (m := PROTOTYPE.match(line)) is None or m.group(1) in names]
            blocks.append(f"=== {rel} ===\n" + "\n".join(lines) + "\n")
    return "\n".join(blocks) or "(no header declares them)\n"


def used_from(lib: str, code: str) -> str:
    """What of ``lib`` the ``code`` being rewritten (C, or C2Rust's Rust) uses: the functions it
    calls, bodies left out, and the types and constants it names, whole, with what they name in
    turn (a struct's Rust field names differ from C's where C's are Rust keywords: C2Rust's
    `type_0`; shown only the alias `SHA256_CTX`, the 1.5B did not know the struct's fields)."""
    used, pool = set(IDENT.findall(code)), items(lib)
    # a declaration brings what it names: `SHA256_CTX` is an alias, its fields are in the struct
    declared = {i.name for i in with_dependencies([i for i in pool if i.kind in DECLARATIONS], sorted(used), set())}
    shown = [(i.text if i.kind in DECLARATIONS else outline(i.text)).strip() for i in pool
             if (i.kind == "fn" and (i.name in used or i.name.removesuffix("_rs") in used))
             or (i.kind in DECLARATIONS and i.name in declared)]
    return "\n\n".join(shown) + "\n" if shown else "(nothing: this code uses nothing in lib.rs yet)\n"


def translate_patch(state: RunState, svc: Services) -> str:
    """The model's Rust for the stage's functions, checked with ``cargo check`` (errors go back
    to the model); where it still fails, C2Rust's translation of those functions lands instead."""
    began = time.monotonic()
    stage = state["stages"][state["current"]]
    root = svc.worktree.path
    file = stage["symbols"][0].split("::")[0]
    names = [s.split("::")[1] for s in stage["symbols"]]
    source = svc.worktree.read(file)
    lib = svc.worktree.read(layout.LIB_RS)
    if source is None or lib is None:
        raise ModelReplyError(f"{file} or {layout.LIB_RS} is missing: the scaffold stage must be applied first")
    funcs = [f for f in functions(source) if f.name in names]
    missing = sorted(set(names) - {f.name for f in funcs})
    if missing:
        raise ModelReplyError(f"{', '.join(missing)} no longer defined in {file}: nothing to translate")
    build = build_of(root)
    c_code = "\n".join(f.text for f in funcs)
    decls = declarations(svc, build, file, set().union(*(named_types(f.signature) for f in funcs)), c_code, lib)
    if decls:  # the types the stage's functions take, in C's layout, before any function using them
        lib += f"\n// C types by C2Rust, for {', '.join(names)} (stage {stage['id']})\n{decls}"
    signatures = {f.name: with_body(c_signature(f.signature, crate_types(lib)), f.text) for f in funcs}
    plain = pointer_free(rust_records(lib))
    asked = {f.name: safe_signature(f.name, signatures[f.name], changeable(plain, f.text)) for f in funcs}
    safe_only = all(asked.values())  # code writes every export; the model writes only the `_rs` functions
    how = (render("c2rust_translate_safe", names=", ".join(names),
                  signatures="\n\n".join(f"{asked[n]} {{\n    ...\n}}" for n in names))
           if safe_only else
           render("c2rust_translate_pairs", names=", ".join(names), types=prompt_types([f.signature for f in funcs])))
    user = render(
        "c2rust_translate", goal=state["goal"], stage_number=str(state["current"] + 1),
        stage_count=str(len(state["stages"])), names=", ".join(names), file=file,
        headers=_headers(root, names), c_code=c_code, rust=used_from(lib, c_code), how=how,
        imported=", ".join(["CStr", *layout.C_TYPES]), feedback=feedback_block(state, layout.LIB_RS),
    )

    def stage_files(model_code: str, notes: str, floor: Fallback | None = None) -> Files:
        stays_c = floor.stays_c if floor else {}
        moved = [n for n in names if n not in stays_c]
        rest = remove_functions(source, set(moved))
        emptied = not functions(rest) and _only_includes(rest)
        deleted = [file] if emptied and not build.names_source(root, file) else []
        left = [n for n in layout.remaining_c(root) if n not in {f"{file}::{m}" for m in moved}]
        number = next_adr(root)
        adr = f"docs/adr/{number:04d}-translate-{'-'.join(moved).replace('_', '-')}.md"
        new_lib = lib
        written = [n for n in moved if not floor or n not in floor.names]
        if written:
            new_lib += f"\n// Translated from {file} in stage {stage['id']}: {', '.join(written)}\n"
            new_lib += merge_uses(lib, model_code)
        if floor is not None and floor.names:
            new_lib += (f"\n// Transpiled by C2Rust from {file} in stage {stage['id']} (unsafe; the model's "
                        f"Rust was not kept): {', '.join(floor.names)}\n{floor.rust}")
        wired = [n for n in last.get("wired", "").split() if n in written]
        contents = {layout.LIB_RS: new_lib,
                    adr: adr_text(number, stage, state["run_id"], [f for f in funcs if f.name in moved], notes,
                                  left, floor, wired)}
        if not deleted:
            contents[file] = rest
        contents.update(with_redirects(root, file, contents.get(file), floor.redirects if floor else {}))
        return Files(contents, deleted)

    last: dict[str, str] = {}

    def to_files(reply: str) -> Files:
        code, notes = parse_reply(reply)
        code, _ = only_asked(without_declared(code, lib), names, [s.split("::")[1] for s in layout.remaining_c(root)])
        if safe_only:  # code writes the exports from the C signatures: a model's own are dropped, not trusted
            code = without_exports(code, names)
        code, wired = with_exports(merge_uses(lib, code), signatures)
        last.update(code=code, notes=notes, wired=" ".join(wired))
        unwired = [n for n in names if safe_only and n not in wired]
        if unwired:
            raise ModelReplyError(f"write `{asked[unwired[0]]}` with exactly this signature: the export "
                                  f"`{unwired[0]}` that calls it is written from it")
        _check_exports(code, names, funcs)
        code, files, errors = compiled(svc, code, lambda text: stage_files(text, notes))
        last.update(code=code)
        if errors:
            raise ModelReplyError(f"`cargo check` failed:\n{errors}")
        return files

    try:
        unasked = beyond_one_reply(svc, c_code) or overflow(svc, user)
        if unasked:
            raise ModelReplyError(f"the model was not asked: {unasked}")
        files = ask_model(svc, state, NO_REPOSITORY, user, to_files, grammar=REPLY_GRAMMAR,
                          what=f"Stage {stage['id']}: translating {', '.join(names)} with {svc.settings.model}")
        if last_attempt(state, svc, time.monotonic() - began):  # the last attempt: the tests decide here, not after
            failing = failing_tests(svc, state, files)
            if failing:
                raise TestsFailed(failing)
    except ModelReplyError as err:
        # on the last attempt a function kept beside the transpiled ones must pass the tests too:
        # the 0.5B's `acc_digest` built, broke the C test, and the stage failed with no floor
        tested = isinstance(err, TestsFailed) or last_attempt(state, svc, time.monotonic() - began)
        with svc.busy(f"Stage {stage['id']}: the model's Rust failed; falling back on C2Rust"):
            changed = {f.name for f in funcs if _pointers_changed(last.get("code", ""), f)}
            kept = without_items(last.get("code", ""), lambda i: i.name.removesuffix("_rs") in changed)
            files = fall_back(svc, build, file, names, lib, kept, str(err),
                              lambda code, floor: stage_files(code, last.get("notes", ""), floor),
                              (lambda files: not failing_tests(svc, state, files)) if tested else None)
    return patch_for(svc.worktree, files.contents, files.deleted)


def beyond_one_reply(svc: Services, code: str) -> str:
    """Why ``code`` is not given to the model to rewrite, or '': it is longer than one reply may
    be, and its rewrite would be as long (http-parser's 1,200-line parser, which the 1.5B would
    spend the stage's budget on and never finish)."""
    tokens, reply = svc.model().count_tokens(code), svc.settings.reply_tokens
    if tokens <= reply:
        return ""
    return f"the code is {tokens} tokens, more than one reply may hold ({reply}, the reply_tokens setting)"


def _check_exports(code: str, names: list[str], funcs: list[CFunction]) -> None:
    """Each C function is exported under its C name with as many pointers as C takes."""
    exported = exported_names(code)
    absent = [n for n in names if n not in exported]
    if absent:
        name = absent[0]
        hint = f" (you exported {name}_rs: the export takes the C name)" if f"{name}_rs" in exported else ""
        raise ModelReplyError(
            f'no `#[no_mangle] pub extern "C" fn {name}(...)` in the code{hint}: '
            f"export each of {', '.join(names)} under its C name, calling a safe `_rs` function"
        )
    for fn in funcs:
        why = _pointers_changed(code, fn)
        if why:
            raise ModelReplyError(why)


def _pointers_changed(code: str, fn: CFunction) -> str:
    """Why the export of ``fn`` in ``code`` does not take C's pointers as raw pointers, or ''.
    C2Rust's Rust calls an export as C does, with raw pointers: libscrypt's model-written
    `libscrypt_SHA256_Init(ctx: &mut SHA256_CTX)` built and passed, and the transpiled
    `libscrypt_PBKDF2_SHA256` that calls it then did not build. Counted on C's parameters only:
    `CJSON_PUBLIC(char *) cJSON_Print(const cJSON *item)` takes one."""
    params = re.search(rf"fn\s+{fn.name}\s*\(([^)]*)\)", code)
    rust_ptrs = len(re.findall(r"\*\s*(?:const|mut)\b", params.group(1))) if params else 0
    c_params = re.search(rf"\b{re.escape(fn.name)}\s*\((.*)\)", fn.signature)
    # an array parameter (`unsigned char out[4]`) is a pointer; the result's `*` is none
    c_ptrs = sum(p.count("*") + ("[" in p) for p in c_params.group(1).split(",")) if c_params else 0
    if rust_ptrs == c_ptrs:
        return ""
    return (f"the export {fn.name} takes {rust_ptrs} pointer parameter(s) but `{fn.signature}` takes "
            f"{c_ptrs}: keep the C parameter types (numbers stay numbers)")


def _only_includes(source: str) -> bool:
    """Whether nothing but includes, comments and blank lines is left of a C file."""
    text = re.sub(r"/\*.*?\*/|//[^\n]*", "", source, flags=re.S)
    return all(not line.strip() or line.lstrip().startswith("#include") for line in text.splitlines())
