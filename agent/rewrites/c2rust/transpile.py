"""The floor under the model: C2Rust's translation of a C file, made in the sandbox.

The transpiler reads a compile_commands.json: CMake writes one when configuring; a Makefile
build is recorded by ``bear`` (and a file the build did not compile gets a plain entry with the
project's include directories). C2Rust parses the code and never runs it, but the recorded
build does, which is why all of this happens in the sandbox, like the tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from agent.rewrites.c2rust.builds import Build
from agent.sandbox.base import Limits, Runner

MARK = "@@@c2rust-output@@@"
BITFIELD_DERIVE = re.compile(r"(#\[derive\([^)\]]*?)(?<![\w:])BitfieldStruct\b")
MISSING = 127
# $1: the C file (relative). Writes only in the check's copy and /tmp, both wiped afterwards.
RECORD = {
    "make": "bear -- make -B -k >/tmp/build.log 2>&1 || true",
    "cmake": "cmake -S . -B build-c2rust -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/tmp/build.log 2>&1"
             " && cp build-c2rust/compile_commands.json . || true",
}
PLAIN_ENTRY = """
import json, os, sys
rel = sys.argv[1]
try:
    db = json.load(open("compile_commands.json"))
except (OSError, ValueError):
    db = []
if not any(os.path.realpath(e.get("file", "")) == os.path.realpath(rel) for e in db):
    dirs = sorted({d for d, _, fs in os.walk(".") if any(f.endswith(".h") for f in fs) and "/rust" not in d})
    db.append({"directory": os.getcwd(), "file": rel,
               "arguments": ["cc", "-c", *("-I" + d for d in dirs), rel]})
    json.dump(db, open("compile_commands.json", "w"))
"""
SCRIPT = (
    "command -v c2rust >/dev/null || { echo 'c2rust: not found'; exit 127; }\n"
    "{record}\n"
    'python3 -c "$0" "$1" || exit 5\n'
    "c2rust transpile compile_commands.json --output-dir /tmp/c2rust-out >/tmp/c2rust.log 2>&1\n"
    'out=$(find /tmp/c2rust-out -path "*/${1%.c}.rs" | head -n 1)\n'
    # paths are kept below the files' common folder: one file alone lands at its bare name
    '[ -n "$out" ] || out=$(find /tmp/c2rust-out -name "$(basename "${1%.c}").rs" | head -n 1)\n'
    # a module name is an identifier: C2Rust writes crypto-mcf.c to crypto_mcf.rs
    '[ -n "$out" ] || out=$(find /tmp/c2rust-out -name "$(basename "${1%.c}" | tr -- "-." "__").rs" | head -n 1)\n'
    '[ -n "$out" ] || { tail -n 20 /tmp/c2rust.log; exit 4; }\n'
    f'echo "{MARK}"; cat "$out"\n'
)


@dataclass(frozen=True)
class Transpiled:
    """C2Rust's Rust for one C file, or why there is none."""

    rust: str | None
    reason: str = ""


def transpile(root: Path, rel: str, build: Build, runner: Runner, limits: Limits) -> Transpiled:
    """C2Rust's output for ``rel`` in the tree at ``root`` (its functions are all still C)."""
    script = SCRIPT.replace("{record}", RECORD[build.kind])
    result = runner.run(root, ["sh", "-c", script, PLAIN_ENTRY, rel], limits)
    if result.exit_code == MISSING:
        return Transpiled(None, "the sandbox image has no c2rust: run 'agent sandbox build --image c2rust'")
    if MARK not in result.output:
        tail = " ".join(result.output.strip().splitlines()[-3:])[-300:]
        return Transpiled(None, f"c2rust could not translate {rel} (status {result.exit_code}): {tail}")
    return Transpiled(with_crate_paths(result.output.split(MARK, 1)[1].lstrip("\n")))


def with_crate_paths(rust: str) -> str:
    """C2Rust's Rust with its runtime crate's derive named by path: a module of C2Rust's own
    crate gets ``BitfieldStruct`` from its ``#[macro_use] extern crate``, which a function
    moved into another crate's lib.rs does not have."""
    return BITFIELD_DERIVE.sub(r"\1::c2rust_bitfields::BitfieldStruct", rust)
