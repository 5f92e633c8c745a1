"""Mixing two versions of a Python file one unit at a time, so the tests can pick the mix.

Sampled whole-file candidates of one stage often each get a different part right: in a run of
grade-school a draw fixed 3 of the 7 tests the applied stage still failed, and broke 4 that it
passed, so it could not be kept. Put together, a function from each, the file can pass what
neither did. A unit is a top-level function, class or constant, or a method of a top-level
class. A mix is the base file with one unit of the donor's in place of its own, plus whatever
the donor defines that the base lacks (its helpers and imports), so the unit still finds what
it calls. Each mix that parses is a candidate like any other: the tests judge it.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass


@dataclass(frozen=True)
class Unit:
    first: int  # 0-based index of its first line (a decorator's, if it has one)
    end: int  # index just past its last line
    indent: int  # columns of its first statement line
    owner: str  # the class a method belongs to; "" at the top level


def units(source: str) -> dict[str, Unit]:
    """The file's units by name ("f", "C", "C.m", "LIMIT"); {} if it does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return {}
    found: dict[str, Unit] = {}
    for node in tree.body:
        name = _name(node)
        if name:
            found[name] = _unit(node, "")
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    found[f"{node.name}.{item.name}"] = _unit(item, node.name)
    return found


def _name(node: ast.stmt) -> str:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return node.name
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        return node.targets[0].id
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return node.target.id
    return ""


def _unit(node: ast.stmt, owner: str) -> Unit:
    decorators = getattr(node, "decorator_list", [])
    first = min([node.lineno, *(d.lineno for d in decorators)]) - 1
    return Unit(first, node.end_lineno or node.lineno, node.col_offset, owner)


def _imports(source: str) -> list[str]:
    """The text of each top-level import statement."""
    tree = ast.parse(source)
    return [ast.get_source_segment(source, n) or "" for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]


def _reindent(lines: list[str], shift: int) -> list[str]:
    if shift >= 0:
        return [" " * shift + ln if ln.strip() else ln for ln in lines]
    return [ln[min(-shift, len(ln) - len(ln.lstrip(" "))):] for ln in lines]


def _text(lines: list[str], unit: Unit) -> list[str]:
    return lines[unit.first:unit.end]


def mixes(base: str, donor: str) -> list[tuple[str, str]]:
    """(the donor's unit, the mixed file) for each unit whose text the donor has otherwise, or
    has where the base does not; mixes that do not parse, or equal the base, are left out."""
    ours, theirs = units(base), units(donor)
    if not ours or not theirs:
        return []
    base_lines, donor_lines = base.splitlines(keepends=True), donor.splitlines(keepends=True)
    base_lines = [ln if ln.endswith("\n") else ln + "\n" for ln in base_lines]
    donor_lines = [ln if ln.endswith("\n") else ln + "\n" for ln in donor_lines]
    helpers = [n for n, u in theirs.items() if n not in ours and (not u.owner or u.owner in ours)]
    have = set(_imports(base))
    imports = [imp + "\n" for imp in _imports(donor) if imp not in have]
    made: list[tuple[str, str]] = []
    seen = {base}
    for name, unit in theirs.items():
        if name not in ours or _text(donor_lines, unit) == _text(base_lines, ours[name]):
            continue
        edits: list[tuple[int, int, list[str]]] = []  # (first, end, new lines) in the base
        mine = ours[name]
        edits.append((mine.first, mine.end, _reindent(_text(donor_lines, unit), mine.indent - unit.indent)))
        for extra in helpers:
            got = theirs[extra]
            if got.owner == name:
                continue  # the whole class came across, its methods with it
            text = _text(donor_lines, got)
            if got.owner:
                at = ours[got.owner].end
                edits.append((at, at, ["\n", *_reindent(text, ours[got.owner].indent + 4 - got.indent)]))
            else:
                edits.append((len(base_lines), len(base_lines), ["\n", "\n", *_reindent(text, -got.indent)]))
        if imports:
            edits.append((_import_line(base), _import_line(base), imports))
        lines = list(base_lines)
        for first, end, new in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
            lines[first:end] = new
        mixed = "".join(lines)
        if mixed in seen or not units(mixed):
            continue
        seen.add(mixed)
        made.append((name, mixed))
    return made


def _import_line(source: str) -> int:
    """Where new imports go: after the module's docstring and any ``from __future__`` import."""
    tree = ast.parse(source)
    at = 0
    for i, node in enumerate(tree.body):
        docstring = i == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        future = isinstance(node, ast.ImportFrom) and node.module == "__future__"
        if not (docstring or future):
            break
        at = node.end_lineno or at
    return at
