"""File-local C functions and data that share a name across C files get names of their own
before any of them is translated: every translated function lands in the crate's one ``lib.rs``
as an export under its C name, with C2Rust's copy of the static data it reads, where two of one
name clash (cJSON.c and cJSON_Utils.c each define a ``static`` ``get_array_item``,
``get_object_item`` and ``compare_double``). A ``static`` name is private to its file, so
renaming it there changes nothing the rest of the build sees."""

from __future__ import annotations

import re
from pathlib import Path

from agent.graph.services import Services
from agent.graph.state import RunState
from agent.rewrites.c2rust import layout
from agent.rewrites.c2rust.csource import functions, renamed, static_data
from agent.rewrites.c2rust.rustitems import IDENT, items
from agent.rewrites.c2rust.translate import next_adr, patch_for


def clashing(repo: Path) -> dict[str, dict[str, str]]:
    """C file -> {old name: new name} for each ``static`` function or variable whose name another
    C source file defines, or the crate exports. What the crate or a file exports keeps its name;
    else the first file's keeps it. The new name is the file's stem before the old one
    (``cJSON_Utils_get_array_item``)."""
    lib = (repo / layout.LIB_RS).read_text(encoding="utf-8") if (repo / layout.LIB_RS).is_file() else ""
    in_rust = {i.name for i in items(lib) if i.kind == "fn"}  # a C static's data may be copied there: not counted
    taken = set(IDENT.findall(lib))  # a new name must be one nothing uses yet
    places: dict[str, list[tuple[str, bool]]] = {}  # name -> (file, static) of its C definitions
    for rel in layout.c_sources(repo):
        source = (repo / rel).read_text(encoding="utf-8", errors="replace")
        taken |= set(IDENT.findall(source))
        for function in functions(source):
            places.setdefault(function.name, []).append((rel, function.static))
        for name in static_data(source):  # C2Rust's copy of a static table lands in lib.rs too
            places.setdefault(name, []).append((rel, True))
    renames: dict[str, dict[str, str]] = {}
    for name, defined in sorted(places.items()):
        statics = [rel for rel, static in defined if static]
        if not statics or len(defined) + (name in in_rust) < 2:
            continue
        keeps = statics[0] if name not in in_rust and len(statics) == len(defined) else None
        for rel in statics:
            if rel == keeps:
                continue
            new = (re.sub(r"\W+", "_", Path(rel).stem).lstrip("0123456789") or "file") + f"_{name}"
            while new in taken:
                new += "_"
            taken.add(new)
            renames.setdefault(rel, {})[name] = new
    return renames


def renamed_symbols(renames: dict[str, dict[str, str]]) -> dict[str, str]:
    """``file::name`` -> ``file::new name`` for every rename, to plan the stages after it."""
    return {f"{rel}::{old}": f"{rel}::{new}" for rel, names in renames.items() for old, new in names.items()}


def rename_patch(state: RunState, svc: Services) -> str:
    """The stage's patch: each clashing ``static`` function renamed throughout its own file."""
    stage = state["stages"][state["current"]]
    root = svc.worktree.path
    renames = clashing(root)
    contents = {rel: renamed(svc.worktree.read(rel) or "", names) for rel, names in renames.items()}
    number = next_adr(root)
    listed = "".join(f"- `{rel}`: " + ", ".join(f"`{old}` is `{new}`" for old, new in names.items()) + "\n"
                     for rel, names in renames.items())
    contents[f"docs/adr/{number:04d}-distinct-static-names.md"] = (
        f"# {number:04d} — File-local functions of one name get names of their own\n\n"
        f"Status: proposed in stage {stage['id']} of agent run {state['run_id']}\n\n"
        "## What\n" + listed + "\n## Why\nEach translated function becomes an export of the one Rust "
        "crate under its C name, so two C files' `static` functions of one name would clash there. "
        "A `static` function is private to its file: renaming it there, with every use in that file, "
        "changes nothing the rest of the build sees.\n")
    return patch_for(svc.worktree, contents, [])
