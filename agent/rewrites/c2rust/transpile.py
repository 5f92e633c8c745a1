"""The floor under the model: C2Rust's translation of a C file, made in the sandbox.

The transpiler reads a compile_commands.json: CMake writes one when configuring; a Makefile
build is recorded by ``bear`` (and a file the build did not compile gets a plain entry with the
project's include directories). C2Rust parses the code and never runs it, but the recorded
build does, which is why all of this happens in the sandbox, like the tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from agent.rewrites.c2rust.builds import Build
from agent.sandbox.base import Limits, Runner

MARK = "@@@c2rust-output@@@"
VARIANT = "@@@c2rust-variant@@@"
BITFIELD_DERIVE = re.compile(r"(#\[derive\([^)\]]*?)(?<![\w:])BitfieldStruct\b")
MISSING = 127
# C2Rust writes a C string table out as byte arrays: http-parser's 4,700-line test program is
# 1 MB of Rust, past the sandbox's usual bound on what a command prints
OUTPUT_BYTES = 16_000_000
# $1: the C file (relative). Writes only in the check's copy and /tmp, both wiped afterwards.
RECORD = {
    "make": "bear -- make -B -k >/tmp/build.log 2>&1 || true",
    "cmake": "cmake -S . -B build-c2rust -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/tmp/build.log 2>&1"
             " && cp build-c2rust/compile_commands.json . || true",
}
PLAIN_ENTRY = """
import json, os, shlex, sys
rel = sys.argv[1]
try:
    db = json.load(open("compile_commands.json"))
except (OSError, ValueError):
    db = []
mine = lambda e: os.path.realpath(os.path.join(e.get("directory", "."), e.get("file", ""))) == os.path.realpath(rel)
if not any(mine(e) for e in db):
    dirs = sorted({d for d, _, fs in os.walk(".") if any(f.endswith(".h") for f in fs) and "/rust" not in d})
    db.append({"directory": os.getcwd(), "file": rel,
               "arguments": ["cc", "-c", *("-I" + d for d in dirs), rel]})
def macros(e):
    args, out = e.get("arguments") or shlex.split(e.get("command", "")), []
    for i, a in enumerate(args):
        if a in ("-D", "-U") and i + 1 < len(args):
            out.append(a + args[i + 1])
        elif a.startswith(("-D", "-U")) and len(a) > 2:
            out.append(a)
    return " ".join(out)
configurations = {}
for e in db:
    if mine(e):
        configurations.setdefault(macros(e), e)
first, *others = configurations.values()
json.dump([e for e in db if not mine(e)] + [first], open("compile_commands.json", "w"))
open("/tmp/c2rust-macros", "w").write(macros(first))
for n, e in enumerate(others if sys.argv[2] == "variants" else [], 1):
    os.makedirs(f"/tmp/c2rust-variant-{n}", exist_ok=True)
    json.dump([e], open(f"/tmp/c2rust-variant-{n}/compile_commands.json", "w"))
    open(f"/tmp/c2rust-variant-{n}/macros", "w").write(macros(e))
"""
SCRIPT = (
    "command -v c2rust >/dev/null || { echo 'c2rust: not found'; exit 127; }\n"
    "{record}\n"
    'python3 -c "$0" "$1" "$2" || exit 5\n'
    # C2Rust writes crypto-mcf.c to crypto_mcf.rs (a module name is an identifier), and one
    # file alone lands at its bare name, below the files' common folder
    'found() { find "$1" -path "*/${2%.c}.rs" | grep . || find "$1" -name "$(basename "${2%.c}").rs" | grep . '
    '|| find "$1" -name "$(basename "${2%.c}" | tr -- "-." "__").rs"; }\n'
    "c2rust transpile compile_commands.json --output-dir /tmp/c2rust-out >/tmp/c2rust.log 2>&1\n"
    'out=$(found /tmp/c2rust-out "$1" | head -n 1)\n'
    '[ -n "$out" ] || { tail -n 20 /tmp/c2rust.log; exit 4; }\n'
    f'echo "{MARK} $(cat /tmp/c2rust-macros)"; cat "$out"\n'
    # the file as the build compiles it under other macros (http-parser's strict and fast builds)
    'for d in /tmp/c2rust-variant-*; do [ -d "$d" ] || continue\n'
    '  c2rust transpile "$d/compile_commands.json" --output-dir "$d/out" >>/tmp/c2rust.log 2>&1\n'
    '  v=$(found "$d/out" "$1" | head -n 1)\n'
    f'  [ -n "$v" ] && {{ echo; echo "{VARIANT} $(cat "$d/macros")"; cat "$v"; }}\n'
    "done\n"
)


@dataclass(frozen=True)
class Transpiled:
    """C2Rust's Rust for one C file, or why there is none. A file the build compiles under
    several sets of macros (``-D``/``-U``) has one translation per set: ``rust`` is the first's,
    ``variants`` the others', with the macros of each (``macros`` the first's)."""

    rust: str | None
    reason: str = ""
    macros: str = ""
    variants: tuple[tuple[str, str], ...] = ()


def transpile(root: Path, rel: str, build: Build, runner: Runner, limits: Limits,
              variants: bool = True) -> Transpiled:
    """C2Rust's output for ``rel`` in the tree at ``root`` (its functions are all still C), and
    with ``variants`` its output under the build's other sets of macros for the file (the C
    tests and a stage's types need only the first, and each set doubles what is printed)."""
    script = SCRIPT.replace("{record}", RECORD[build.kind])
    result = runner.run(root, ["sh", "-c", script, PLAIN_ENTRY, rel, "variants" if variants else "first"],
                        replace(limits, output_bytes=max(limits.output_bytes, OUTPUT_BYTES)))
    if result.exit_code == MISSING:
        return Transpiled(None, "the sandbox image has no c2rust: run 'agent sandbox build --image c2rust'")
    if MARK not in result.output:
        tail = " ".join(result.output.strip().splitlines()[-3:])[-300:]
        return Transpiled(None, f"c2rust could not translate {rel} (status {result.exit_code}): {tail}")
    first, *others = result.output.split(MARK, 1)[1].split(f"\n{VARIANT}")
    parts = [(head.strip(), with_crate_paths(body)) for head, _, body in (p.partition("\n") for p in [first, *others])]
    return Transpiled(parts[0][1], macros=parts[0][0], variants=tuple(parts[1:]))


def with_crate_paths(rust: str) -> str:
    """C2Rust's Rust with its runtime crate's derive named by path: a module of C2Rust's own
    crate gets ``BitfieldStruct`` from its ``#[macro_use] extern crate``, which a function
    moved into another crate's lib.rs does not have."""
    return BITFIELD_DERIVE.sub(r"\1::c2rust_bitfields::BitfieldStruct", rust)
