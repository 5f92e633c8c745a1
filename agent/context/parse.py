"""One file's symbols: definitions with signatures, references, imports and calls.

The result is a plain JSON-able dict so it can be cached on disk by blob id and sent back
from pool workers cheaply. Parse errors never raise: tree-sitter recovers, and a file it
cannot handle at all comes back with ``error`` set and no symbols.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from pathlib import Path
from typing import Any

import tree_sitter as ts

from agent.context.languages import (
    BRACE_LANGUAGES,
    CONTAINER_KINDS,
    has_grammar,
    parser,
    query,
)

# Bump when the extracted data changes shape or meaning: the cache keys on it.
PARSE_VERSION = 8
MAX_SIG_LINES = 25
MAX_HEADER_LINES = 6
FUNCTION_KINDS = frozenset({"function", "method"})
_NAME_TYPES = frozenset({
    "identifier", "field_identifier", "type_identifier", "qualified_identifier",
    "destructor_name", "operator_name", "property_identifier",
})
METHOD_OWNERS = frozenset({"class", "impl", "trait"})
_WRAPPERS = frozenset({
    "type_declaration", "export_statement", "lexical_declaration", "variable_declaration",
    "template_declaration",
})
_SELF_CALL = re.compile(rb"(?<![A-Za-z0-9_])(?:self|this|cls|Self)(?:\.|->)$")

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
FileSymbols = dict[str, Any]


def _text(node: ts.Node) -> str:
    return (node.text or b"").decode("utf-8", "replace")


def _declared_name(node: ts.Node) -> ts.Node | None:
    """The name inside a C/C++ declarator chain (``*(*f)(int)`` and friends)."""
    cur: ts.Node | None = node.child_by_field_name("declarator")
    while cur is not None and cur.type not in _NAME_TYPES:
        nxt = cur.child_by_field_name("declarator")
        if nxt is None:  # e.g. parenthesized_declarator: first named child
            nxt = next((c for c in cur.named_children if c.type != "parameter_list"), None)
        cur = nxt
    return cur


def _def_name(node: ts.Node, kind: str) -> tuple[str, str]:
    """(name, scope from the name itself, e.g. ``Foo`` of ``Foo::bar``)."""
    if kind == "impl":
        typ = node.child_by_field_name("type")
        return (_text(typ) if typ else "", "")
    name = node.child_by_field_name("name")
    if name is None:
        name = _declared_name(node)
    if name is None:
        return ("", "")
    text = _text(name)
    receiver = node.child_by_field_name("receiver")  # Go: func (s *Server) Start()
    if receiver is not None:
        types = _IDENT.findall(_text(receiver))
        return (text, types[-1] if types else "")
    if "::" in text:
        scope, _, last = text.rpartition("::")
        return (last, scope)
    return (text, "")


def _signature(data: bytes, node: ts.Node, kind: str, lang: str) -> str:
    """The lines a reader needs to use the definition without its body."""
    start = data.rfind(b"\n", 0, node.start_byte) + 1
    outer, wrapped = node.parent, False
    while outer is not None and outer.type in _WRAPPERS and outer.start_byte >= start:
        outer, wrapped = outer.parent, True  # `export const f`, `type T struct`: keep keywords
    if not wrapped and data[start:node.start_byte].strip():  # unrelated text precedes it
        start = node.start_byte
    body = node.child_by_field_name("body")
    whole = data[start:node.end_byte]
    if kind not in FUNCTION_KINDS and kind not in CONTAINER_KINDS:
        if whole.count(b"\n") < MAX_SIG_LINES:
            return whole.decode("utf-8", "replace").rstrip()
    if body is not None and body.start_byte > node.start_byte:
        head = data[start:body.start_byte].decode("utf-8", "replace").rstrip()
    else:
        head = whole.decode("utf-8", "replace").rstrip()
    lines = head.split("\n")
    if len(lines) > MAX_HEADER_LINES:
        head = "\n".join(lines[:MAX_HEADER_LINES]) + " ..."
    if kind in FUNCTION_KINDS and body is not None:
        head += " { ... }" if lang in BRACE_LANGUAGES else " ..."
    return head


def word_counts(data: bytes) -> dict[str, int]:
    """Identifier -> uses in the file's text, comments and strings included (they rank it too)."""
    return dict(Counter(_IDENT.findall(data.decode("utf-8", "replace"))))


def parse_source(lang: str, data: bytes) -> FileSymbols:
    """Symbols of one source file in ``lang`` (a language with a grammar)."""
    tree = parser(lang).parse(data)
    caps = ts.QueryCursor(query(lang)).captures(tree.root_node)
    defs: list[tuple[int, int, str, str, str, ts.Node]] = []  # start, end, kind, name, scope
    for cap, nodes in caps.items():
        if not cap.startswith("def."):
            continue
        kind = cap[4:]
        for node in nodes:
            name, scope = _def_name(node, kind)
            if name:
                defs.append((node.start_byte, node.end_byte, kind, name, scope, node))
    defs.sort(key=lambda d: (d[0], -d[1]))
    out_defs: list[list[Any]] = []
    funcs: list[tuple[int, int, str]] = []  # start, end, qualified name
    open_defs: list[tuple[int, str, str]] = []  # end, kind, qualified name: the nesting stack
    for start, end, kind, name, scope, node in defs:
        while open_defs and open_defs[-1][0] < end:
            open_defs.pop()
        outer = open_defs[-1] if open_defs else None
        if not scope and outer is not None:
            scope = outer[2]
            if kind == "function" and outer[1] in METHOD_OWNERS:
                kind = "method"
        elif scope and kind == "function":
            kind = "method"
        qual = f"{scope}.{name}" if scope else name
        if kind in FUNCTION_KINDS or kind in CONTAINER_KINDS:
            open_defs.append((end, kind, qual))
        sig = _signature(data, node, kind, lang)
        out_defs.append([name, kind, node.start_point[0] + 1, scope, sig])
        if kind in FUNCTION_KINDS:
            funcs.append((start, end, qual))
    starts = [f[0] for f in funcs]

    def enclosing(pos: int) -> str | None:
        i = bisect_right(starts, pos) - 1
        while i >= 0:
            if funcs[i][1] >= pos:
                return funcs[i][2]
            i -= 1
        return None

    calls: dict[str, set[str]] = {}
    for cap in ("call", "call.attr", "call.ref"):
        for node in caps.get(cap, ()):
            start = node.start_byte
            owner = enclosing(start)
            if owner is None:
                continue
            callee = data[start:node.end_byte].decode("utf-8", "replace")
            if cap == "call.attr":  # the text just before the name tells `self.f()` from `other.f()`
                on_self = _SELF_CALL.search(data, max(0, start - 6), start)
                callee = ("self." if on_self else ".") + callee
            elif cap == "call.ref":  # `qsort(xs, n, size, cmp)`: a call through a pointer later
                callee = "&" + callee
            calls.setdefault(owner, set()).add(callee)
    imports = sorted({_text(n).strip("\"'<>") for n in caps.get("import", ())})
    return {
        "defs": out_defs,
        "imports": imports,
        "calls": {k: sorted(v) for k, v in sorted(calls.items())},
        "error": "partial parse (syntax errors or macros)" if tree.root_node.has_error else "",
    }


def parse_path(job: tuple[str, str]) -> FileSymbols:
    """Pool entry point: symbols of the file at ``job[0]`` in language ``job[1]``; never raises.

    Files without a grammar get their words only, so ranking can still match them.
    """
    path, lang = job
    try:
        data = Path(path).read_bytes()
        syms: FileSymbols = {"defs": [], "imports": [], "calls": {}, "error": ""}
        if has_grammar(lang):  # text, docs, build files: only their words rank them
            syms = parse_source(lang, data)
        syms["refs"] = word_counts(data)
        return syms
    except Exception as ex:  # noqa: BLE001 - a file the parser cannot take is a note, not a crash
        return {"defs": [], "refs": {}, "imports": [], "calls": {},
                "error": f"not parsed: {type(ex).__name__}: {ex}"[:200]}
