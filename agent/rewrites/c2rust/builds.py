"""The C project's build, and how the Rust static library is wired into it: a Makefile (link
lines get the library) or CMake (every target links it, cargo runs as a custom command).
A build neither can wire is refused at plan time, before anything is written."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from agent.errors import AgentError
from agent.rewrites.c2rust import layout

MAKEFILES = ("GNUmakefile", "makefile", "Makefile")
CMAKE = "CMakeLists.txt"
OTHER_BUILDS = {"meson.build": "Meson", "configure.ac": "autotools", "configure.in": "autotools",
                "Makefile.am": "automake", "SConstruct": "SCons", "build.ninja": "Ninja", "BUILD": "Bazel"}
TARGET = re.compile(r"^\s*add_(?:executable|library)\s*\(\s*([\w.+${}-]+)\s*([\w]*)", re.M | re.I)
NOT_LINKED = {"IMPORTED", "INTERFACE", "ALIAS", "OBJECT"}


@dataclass(frozen=True)
class Build:
    """The build file the Rust library is wired into (``kind`` is "make" or "cmake")."""

    kind: str
    path: str  # relative to the repository

    def names_source(self, repo: Path, rel: str) -> bool:
        """Whether the build names the C file ``rel`` (or its object), so an emptied one must
        stay, with its includes, until the end: CMake names each source, and a Makefile may
        (libscrypt's lists its objects) or build whatever ``$(wildcard ...)`` finds."""
        if self.kind == "cmake":
            return True
        stem = re.escape(Path(rel).stem)
        return bool(re.search(rf"(?<![\w.-]){stem}\.[co]\b", (repo / self.path).read_text(errors="replace")))

    def tests(self, repo: Path) -> list[str]:
        """The C test programs this build runs: those it names, else every one there is. cJSON's
        Makefile runs `test.c`; the unity tests under `tests/` are its CMake build's."""
        every = layout.c_tests(repo)
        return [t for t in every if self.names_source(repo, t)] or every

    def wire(self, repo: Path, lib: str) -> str:
        """The build file's new text with the Rust library linked into every program."""
        text = (repo / self.path).read_text(encoding="utf-8")
        if self.kind == "make":
            return layout.wire_makefile(text, lib)
        return wire_cmake(text, cmake_targets(repo), lib)

    def plain(self, crate: str) -> str:
        """The build file of the final, plain Rust crate: its test target runs ``cargo test``."""
        return layout.plain_makefile() if self.kind == "make" else plain_cmake(crate)

    def extra_files(self, repo: Path) -> list[str]:
        """Build files that go with the C sources in the last stage (CMake's subdirectories)."""
        if self.kind == "make":
            return []
        return [f for f in layout.files(repo, CMAKE) if f != self.path]


def build_of(repo: Path) -> Build:
    """The build to wire: a Makefile that links programs, else CMake, else a one-line refusal."""
    makefile = next((n for n in MAKEFILES if (repo / n).is_file()), None)
    links = makefile is not None and any(
        layout.LINK.search(line) for line in (repo / makefile).read_text(errors="replace").splitlines())
    if makefile is not None and (links or not (repo / CMAKE).is_file()):
        return Build("make", makefile)
    if (repo / CMAKE).is_file():
        return Build("cmake", CMAKE)
    found = [f"{kind} ({name})" for name, kind in OTHER_BUILDS.items() if (repo / name).is_file()]
    seen = f" (found {', '.join(found)})" if found else ""
    raise AgentError(f"{repo} has no Makefile or {CMAKE}{seen}: c2rust links the Rust library into a "
                     "Makefile or CMake build; add one that builds and tests the C code")


def cmake_targets(repo: Path) -> list[tuple[str, str]]:
    """Targets of every CMakeLists.txt in the tree that link code (executables, libraries),
    each with the keyword (``PUBLIC `` or nothing) its existing links use."""
    text = "\n".join(re.sub(r"#[^\n]*", "", (repo / rel).read_text(encoding="utf-8", errors="replace"))
                     for rel in layout.files(repo, CMAKE))
    return [(m.group(1), _keyword(text, m.group(1)))
            for m in TARGET.finditer(text) if m.group(2).upper() not in NOT_LINKED]


def wire_cmake(text: str, targets: list[tuple[str, str]], lib: str) -> str:
    """``text`` (the top-level CMakeLists.txt) with cargo building the Rust library and every
    target depending on and linking it; appended last, so targets of subdirectories exist."""
    if not targets:
        raise AgentError(f"no add_executable or add_library in {CMAKE}: c2rust needs a target to link Rust into")
    links = "".join(
        f"add_dependencies({t} agent_rust_lib)\n"
        f"target_link_libraries({t} {keyword}${{AGENT_RUST_LIB}} pthread dl m)\n"
        for t, keyword in targets
    )
    block = (
        "\n# Rust half of the C-to-Rust translation (agent c2rust): a static library linked in.\n"
        "cmake_policy(SET CMP0079 NEW)  # link targets made in subdirectories from here\n"
        "set(AGENT_RUST_DIR ${CMAKE_CURRENT_SOURCE_DIR}/rust)\n"
        f"set(AGENT_RUST_LIB ${{AGENT_RUST_DIR}}/target/release/lib{lib}.a)\n"
        "file(GLOB AGENT_RUST_SRC CONFIGURE_DEPENDS ${AGENT_RUST_DIR}/src/*.rs)\n"
        "add_custom_command(OUTPUT ${AGENT_RUST_LIB}\n"
        "  COMMAND cargo build --release --offline\n"
        "  WORKING_DIRECTORY ${AGENT_RUST_DIR}\n"
        "  DEPENDS ${AGENT_RUST_SRC} ${AGENT_RUST_DIR}/Cargo.toml VERBATIM)\n"
        "add_custom_target(agent_rust_lib DEPENDS ${AGENT_RUST_LIB})\n" + links
    )
    return text.rstrip("\n") + "\n" + block


def _keyword(text: str, target: str) -> str:
    """CMake refuses a target linked with and without PUBLIC/PRIVATE: follow what it uses."""
    used = re.search(rf"target_link_libraries\s*\(\s*{re.escape(target)}\s+(PRIVATE|PUBLIC|INTERFACE)\b", text)
    return "PUBLIC " if used else ""


def plain_cmake(crate: str) -> str:
    return (
        "# A plain Rust crate now (agent c2rust, final stage): ctest runs its cargo tests.\n"
        f"cmake_minimum_required(VERSION 3.13)\nproject({crate} NONE)\nenable_testing()\n"
        "add_test(NAME cargo_test COMMAND cargo test --offline WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/rust)\n"
    )
