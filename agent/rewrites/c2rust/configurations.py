"""A C file the build compiles under several sets of macros: http-parser's Makefile builds
`http_parser.c` strict (``-DHTTP_PARSER_STRICT=1``, for one test program) and fast (``=0``, for
the other). One Rust function cannot be both, so a function whose C2Rust translation differs
between the sets becomes one export per set, and a ``#define`` where C declares the function
picks the export of the macros that C file is compiled with."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from agent.rewrites.c2rust import layout
from agent.rewrites.c2rust.csource import first_declaration
from agent.rewrites.c2rust.rustitems import IDENT, Item, exported, items, render, with_dependencies
from agent.rewrites.c2rust.transpile import Transpiled

VARIANT = "__cfg_"  # between a function's C name and its configuration's tag: `parse_url_char__cfg_..._1`


@dataclass(frozen=True)
class Split:
    """The Rust of some functions once per configuration, and per function the C lines that
    name the export of the configuration being compiled."""

    rust: str
    redirects: dict[str, str]


def differing(made: Transpiled) -> set[str]:
    """The names C2Rust writes differently under another set of macros than under the first,
    and the names of everything that uses one of them (a function, a type, a constant)."""
    # a declaration of a function defined elsewhere names one symbol in every set; it is there
    # only where a set's code calls it (http-parser's strict build alone calls http_should_keep_alive)
    pool = [i for i in items(made.rust or "") if i.name and i.kind != "extern"]
    changed: set[str] = set()
    for _, rust in made.variants:
        other = {i.name: i.text for i in items(rust) if i.name}
        changed |= {i.name for i in pool if other.get(i.name) != i.text}
    grew = bool(changed)
    while grew:
        users = {i.name for i in pool if i.name not in changed and changed & set(IDENT.findall(i.text))}
        changed |= users
        grew = bool(users)
    return changed


def _values(macros: str) -> dict[str, str | None]:
    """NAME -> value for a set of ``-D``/``-U`` flags (``-DNAME`` is 1, ``-UNAME`` undefined)."""
    found: dict[str, str | None] = {}
    for flag in macros.split():
        name, _, value = flag[2:].partition("=")
        found[name] = None if flag.startswith("-U") else (value or "1")
    return found


def _tags_and_conditions(sets: list[str]) -> tuple[list[str], list[str]] | str:
    """Per set of macros, its tag for the export's name and its ``#if`` condition, or why none."""
    values = [_values(m) for m in sets]
    keys = sorted({k for v in values for k in v if len({v2.get(k) for v2 in values}) > 1})
    tags, conditions = [], []
    for v in values:
        parts = []
        for key in keys:
            value = v.get(key)
            if value is not None and not re.fullmatch(r"-?\d+", value):
                return f"{key}={value} is not a number an `#if` can compare"
            parts.append(f"!defined({key})" if value is None else f"{key} == {value}")
        tags.append("_".join(f"{k}_{(v.get(k) or 'undef').replace('-', 'minus')}" for k in keys))
        conditions.append(" && ".join(parts))
    if not keys or len(set(tags)) < len(tags):
        return "its configurations differ in no macro the C code can test"
    return tags, conditions


def _suffixed(found: re.Match[str], suffix: str) -> str:
    """A literal as it is, a name with ``suffix``."""
    return found[1] or found[2] + suffix


def per_configuration(made: Transpiled, names: list[str], changed: set[str], skip: set[str]) -> Split | str:
    """The Rust of ``names`` (all in ``changed``) and what they use, once per set of macros, with
    every changed name suffixed by the set's tag; what is the same in every set comes once,
    and nothing in ``skip`` (the crate has it). Or why this cannot be done."""
    sets = [(made.macros, made.rust or ""), *made.variants]
    found = _tags_and_conditions([m for m, _ in sets])
    if isinstance(found, str):
        return found
    tags, conditions = found
    same: dict[str, Item] = {}
    varied: list[Item] = []
    # a name with a tag already is one configuration's (an earlier stage's export, which C
    # names through its `#define`): it differs between the sets by name, and keeps it
    ours = {n for n in changed if VARIANT not in n}
    # a literal keeps its text: C2Rust sizes an `assert`'s `__PRETTY_FUNCTION__` string by it
    # (`transmute::<&[u8; 79], ...>(b"int http_parser_parse_url(...)\0")`), which a rename broke
    pattern = re.compile(r"""(b?"(?:\\.|[^"\\])*"|b?'(?:\\.|[^'\\])')|\b(""" + "|".join(map(re.escape, sorted(ours)))
                         + r")\b")
    for (_, rust), tag in zip(sets, tags, strict=True):
        for item in with_dependencies(items(rust), names, skip - ours):
            if item.name not in ours:
                same.setdefault(item.name or item.text, item)
                continue
            item = exported(item) if item.name in names else item
            suffix = f"{VARIANT}{tag}"
            text = pattern.sub(partial(_suffixed, suffix=suffix), item.text)
            renamed = Item(item.kind, item.name + suffix, text, item.export)
            if renamed.name not in skip:
                varied.append(renamed)
    redirects = {}
    for name in names:
        lines = [f"/* {name} is Rust, one export per configuration this code is compiled in */"]
        for i, (tag, condition) in enumerate(zip(tags, conditions, strict=True)):
            keyword = "#if" if i == 0 else "#else" if i == len(tags) - 1 else "#elif"
            lines += [f"{keyword} {condition}" if keyword != "#else" else keyword,
                      f"#define {name} {name}{VARIANT}{tag}"]
        redirects[name] = "\n".join([*lines, "#endif"]) + "\n"
    return Split(render([*same.values(), *varied]), redirects)


def declared(root: Path, name: str) -> list[str]:
    """The headers that declare the function ``name``, else the C test programs that do: a C
    file picks an export by the ``#define`` before its declaration."""
    for group in (layout.headers(root), layout.c_tests(root)):
        found = [rel for rel in group
                 if first_declaration((root / rel).read_text(encoding="utf-8", errors="replace"), name) is not None]
        if found:
            return found
    return []


def with_redirects(root: Path, file: str, rest: str | None, redirects: dict[str, str]) -> dict[str, str]:
    """The C files that change for ``redirects``: each goes before the first declaration of its
    function in every header that declares it (the C files that include one are compiled with
    their own macros), or where none does, in ``file`` (``rest``, its text after the stage)."""
    changed: dict[str, str] = {}
    headers = set(layout.headers(root))
    for name, block in redirects.items():
        for rel in [h for h in declared(root, name) if h in headers] or [file]:
            text = changed.get(rel) or (rest if rel == file else (root / rel).read_text(encoding="utf-8"))
            at = first_declaration(text or "", name)
            if text is not None and at is not None:
                changed[rel] = text[:at] + block + text[at:]
    return changed
