"""The plan of a translation, made from the call graph by code: scaffold, then leaves first,
a few functions of one source file per stage, then the final switch to a plain Rust crate."""

from __future__ import annotations

from pathlib import Path

from agent.context import call_graph
from agent.errors import AgentError
from agent.graph.state import Stage
from agent.rewrites.c2rust import layout
from agent.rewrites.c2rust.builds import build_of
from agent.rewrites.c2rust.csource import functions, records
from agent.rewrites.c2rust.exports import pointer_free, wirable
from agent.rewrites.c2rust.renames import clashing, renamed_symbols

PER_STAGE = 3


def translation_order(graph: dict[str, set[str]], per_stage: int = PER_STAGE,
                      wired: frozenset[str] = frozenset()) -> list[list[str]]:
    """Groups of ``file::function``: each group from one file, every callee in an earlier
    group or the same one, so a function is translated only after what it calls is Rust. A
    group holds only functions whose exports code can write (``wired``) or only others: the
    stage is asked for safe signatures only when code can wire all of its functions."""
    remaining = set(graph)
    groups: list[list[str]] = []
    while remaining:
        ready = sorted(f for f in remaining if graph[f] & remaining <= {f})
        if ready:
            file, kind = ready[0].split("::")[0], ready[0] in wired
            group = [f for f in ready if f.split("::")[0] == file and (f in wired) == kind][:per_stage]
        else:  # mutual recursion: the whole cycle at once, in one file
            cycle = _last_cycle(graph, remaining)
            group = [f for f in cycle if f.split("::")[0] == cycle[0].split("::")[0]]
        groups.append(group)
        remaining -= set(group)
    return groups


def _last_cycle(graph: dict[str, set[str]], remaining: set[str]) -> list[str]:
    """Functions of ``remaining`` that call each other round and call nothing else left: they go
    together. One alone would land with C2Rust's copies of the others beside their C (cJSON's
    `parse_value`, `parse_array` and `parse_object`), and taking what is left in file order put
    `cJSON_Parse` before `cJSON_ParseWithOpts`, which it calls: both defined, the link failed."""
    reach: dict[str, set[str]] = {}
    for start in sorted(remaining):
        seen, todo = set(), [start]
        while todo:
            for callee in graph[todo.pop()] & remaining:
                if callee not in seen:
                    seen.add(callee)
                    todo.append(callee)
        reach[start] = seen
    cycles = ({f for f in reach[start] if start in reach[f]} | {start} for start in sorted(remaining))
    return sorted(next(c for c in cycles if all(reach[f] <= c for f in c)))  # a finite graph has one


def plan_stages(repo: Path, max_stages: int) -> list[Stage]:
    sources = layout.c_sources(repo)
    texts = {rel: (repo / rel).read_text(encoding="utf-8", errors="replace")
             for rel in [*sources, *layout.headers(repo)]}
    defined = {f"{rel}::{f.name}": f for rel in sources for f in functions(texts[rel])}  # what a stage can cut out
    graph = {  # not one inside `#if` (cJSON's MSVC-only allocators): no stage could translate it
        name: callees
        for name, callees in call_graph(repo, files=sources).items()
        if name in defined and not name.endswith("::main")
    }
    renames = clashing(repo)
    if renames:  # the stages after the renaming one name the functions as it leaves them
        new = renamed_symbols(renames)
        defined = {new.get(name, name): f for name, f in defined.items()}
        graph = {new.get(name, name): {new.get(c, c) for c in callees} for name, callees in graph.items()}
    scaffolded = (repo / layout.CARGO_TOML).is_file()
    if not graph and not scaffolded:
        raise AgentError(f"no C functions found in {repo} outside its tests: c2rust translates C sources")
    build = build_of(repo)
    if not scaffolded:
        build.wire(repo, layout.crate_name(repo))  # a build it cannot wire is refused here
    stages: list[Stage] = []
    if not scaffolded:
        stages.append(Stage(
            id=0, title="Scaffold the Rust crate", kind="scaffold", symbols=[],
            intent=f"Add a Rust static library (rust/) built by cargo and linked into the C build ({build.path}), "
                   "so C and Rust live side by side; nothing is translated yet.",
            files=[layout.CARGO_TOML, layout.LIB_RS, build.path, ".gitignore"],
        ))
    if renames:
        stages.append(Stage(
            id=0, title="Give file-local functions of one name names of their own", kind="rename", symbols=[],
            intent="C files define `static` functions of the same name, which would clash in the one Rust "
                   "crate: each is renamed throughout its own file, which changes nothing outside it.",
            files=sorted(renames),
        ))
    plain = pointer_free({name: record for text in texts.values() for name, record in records(text).items()})
    wired = frozenset(name for name, f in defined.items() if wirable(f.signature, f.text, plain))
    for group in translation_order(graph, wired=wired):
        file = group[0].split("::")[0]
        names = [g.split("::")[1] for g in group]
        stages.append(Stage(
            id=0, title=f"Translate {', '.join(names)} to Rust", kind="translate", symbols=group,
            intent=f"Rust versions of {', '.join(names)} exported over the C ABI replace their C "
                   f"definitions in {file}; the original C tests keep running against the mixed build.",
            files=[file, layout.LIB_RS],
        ))
    stages.append(Stage(
        id=0, title="Finish as a plain Rust crate", kind="finalize", symbols=[], tests_editable=True,
        intent="Turn the result into a plain Rust library crate: the C tests' assertions become "
               "cargo integration tests, the C build and sources go, the build's test target runs cargo test.",
        files=[layout.CARGO_TOML, build.path, *build.tests(repo)],
    ))
    stages = stages[:max_stages]
    for i, stage in enumerate(stages, 1):
        stage["id"] = i
    return stages
