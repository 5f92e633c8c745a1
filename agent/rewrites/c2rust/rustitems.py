"""Rust source as named top-level items (tree-sitter-rust), so one function can be taken out of
a model's reply or the transpiler's output together with the declarations it uses."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import tree_sitter as ts

from agent.context.languages import parser

NAMED = {"function_item": "fn", "type_item": "type", "const_item": "const", "static_item": "static",
         "struct_item": "struct", "union_item": "union", "enum_item": "enum"}
IDENT = re.compile(r"\b[A-Za-z_]\w*\b")


@dataclass(frozen=True)
class Item:
    """One top-level item with its attributes and doc comments. A declaration from an
    ``extern "C"`` block is an item of its own (kind "extern"), to be regrouped later."""

    kind: str  # fn, type, const, static, struct, union, enum, extern, or other (use, mod, ...)
    name: str  # "" for other
    text: str
    export: bool = False  # an ``extern "C" fn``: callable from C under its name


def extern_c(node: ts.Node) -> bool:
    """Whether a ``function_item`` node is declared ``extern "C"``."""
    mods = next((c for c in node.children if c.type == "function_modifiers"), None)
    return mods is not None and any(c.type == "extern_modifier" for c in mods.children)


def _name(node: ts.Node) -> str:
    ident = node.child_by_field_name("name")
    return ident.text.decode() if ident is not None and ident.text else ""


def items(source: str) -> list[Item]:
    """Top-level items in source order; inner attributes (``#![...]``) are left out."""
    data = source.encode()
    found: list[Item] = []
    start: int | None = None  # where the attributes and comments before an item begin
    for node in parser("rust").parse(data).root_node.children:
        if node.type in ("attribute_item", "line_comment", "block_comment"):
            start = node.start_byte if start is None else start
            continue
        begin = node.start_byte if start is None else start
        start = None
        if node.type == "inner_attribute_item":
            continue
        if node.type == "foreign_mod_item":
            body = next((c for c in node.children if c.type == "declaration_list"), None)
            for decl in body.named_children if body is not None else []:
                if decl.type in ("function_signature_item", "static_item"):
                    found.append(Item("extern", _name(decl), data[decl.start_byte:decl.end_byte].decode()))
            continue
        text = data[begin:node.end_byte].decode()
        kind = NAMED.get(node.type, "other")
        found.append(Item(kind, _name(node) if kind != "other" else "", text, kind == "fn" and extern_c(node)))
    return found


def exported_names(source: str) -> list[str]:
    """The top-level ``extern "C"`` functions of ``source``, in order."""
    return [i.name for i in items(source) if i.export]


def defined_names(source: str) -> set[str]:
    """Every name ``source`` defines or declares at the top level."""
    return {i.name for i in items(source) if i.name}


def with_dependencies(pool: list[Item], wanted: list[str], skip: set[str]) -> list[Item]:
    """The items named ``wanted`` from ``pool`` and, transitively, the pool items they mention,
    in pool order; names in ``skip`` (already defined where the result goes) are not taken."""
    by_name = {i.name: i for i in pool if i.name}
    taken: set[str] = set()
    queue = [n for n in wanted if n in by_name]
    while queue:
        name = queue.pop()
        if name in taken or (name in skip and name not in wanted):
            continue
        taken.add(name)
        queue += [n for n in IDENT.findall(by_name[name].text) if n in by_name and n not in taken]
    return [i for i in pool if i.name in taken]


DECLARATIONS = ("type", "const", "struct", "union", "enum")


def render(chosen: list[Item]) -> str:
    """Items as source: declarations, one ``extern "C"`` block, then the rest in order."""
    externs = [i.text for i in chosen if i.kind == "extern"]
    first = [i.text for i in chosen if i.kind in DECLARATIONS]
    rest = [i.text for i in chosen if i.kind not in ("extern", *DECLARATIONS)]
    block = ['extern "C" {\n' + "".join(f"    {e}\n" for e in externs) + "}"] if externs else []
    return "\n".join([*first, *block, *rest]) + "\n"


def model_parts(code: str, names: list[str]) -> tuple[dict[str, str], str]:
    """A model's reply split by C function (``name`` and ``name_rs`` items go with ``name``),
    and the rest it wrote (helpers, imports), which goes with any of them."""
    per: dict[str, list[str]] = {n: [] for n in names}
    shared: list[str] = []
    for item in items(code):
        owner = next((n for n in names if item.name in (n, f"{n}_rs")), None)
        (per[owner] if owner is not None else shared).append(item.text)
    return {n: "\n\n".join(t) + "\n" for n, t in per.items() if t}, "\n\n".join(shared) + ("\n" if shared else "")


def only_asked(code: str, names: list[str], others: list[str]) -> tuple[str, list[str]]:
    """A reply without the C ABI exports it was not asked for, without the functions of the
    C ``others`` still to come (each with its ``_rs`` twin), and their names; an item written
    twice word for word is kept once. Small models copy the prompt's example (`sum`), write
    later stages' functions along and repeat a function they wrote already, and an export C
    does not have adds a symbol that can clash with one of the C program's at link time."""
    found = items(code)
    extra = [i.name for i in found if i.kind == "fn" and i.name.removesuffix("_rs") not in names
             and (i.export or i.name.removesuffix("_rs") in others)]
    seen: set[str] = set()
    for item in found:
        if item.kind == "fn" and (item.name in extra or item.name.removesuffix("_rs") in extra):
            code = code.replace(item.text, "", 1)
        elif item.text in seen:  # the later copy goes
            at = code.rfind(item.text)
            code = code[:at] + code[at + len(item.text):]
        seen.add(item.text)
    return re.sub(r"\n{3,}", "\n\n", code), extra


def without_items(code: str, dropped: Callable[[Item], bool]) -> str:
    """``code`` without its top-level items ``dropped`` picks, and the blank lines they leave."""
    for item in items(code):
        if dropped(item):
            code = code.replace(item.text, "", 1)
    return re.sub(r"\n{3,}", "\n\n", code)


def without_declared(code: str, lib: str) -> str:
    """``code`` without the types and constants ``lib`` already declares, by name: shown a
    struct, small models copy it into their reply (the 0.5B did), and two definitions do not
    build; the crate's is C's layout, from C2Rust."""
    have = {i.name for i in items(lib) if i.kind in DECLARATIONS}
    return without_items(code, lambda item: item.kind in DECLARATIONS and item.name in have)


STATIC_FN = re.compile(r'^((?:\s*#\[[^\]]*\]\s*)*)((?:unsafe\s+)?extern\s+"C"\s+fn\b)')


def exported(item: Item) -> Item:
    """A function C2Rust kept private (a C ``static``) as a C ABI export, since C code still
    calls it through the prototype left in its place."""
    if item.kind != "fn" or "#[no_mangle]" in item.text:
        return item
    return Item(item.kind, item.name, STATIC_FN.sub(r"\1#[no_mangle]\npub \2", item.text, count=1), item.export)


def outline(source: str) -> str:
    """``source`` with every function body left out: what a prompt's model may call. Whole
    bodies, C2Rust's above all, cost prompt tokens, and the 1.5B model wrote them out again in
    place of the functions it was asked for."""
    data = source.encode()
    cuts = []
    stack = list(parser("rust").parse(data).root_node.children)
    while stack:
        node = stack.pop()
        body = node.child_by_field_name("body") if node.type == "function_item" else None
        if body is not None:
            cuts.append((body.start_byte, body.end_byte))
        elif node.type in ("impl_item", "mod_item", "declaration_list"):
            stack += node.children
    out, pos = bytearray(), 0
    for start, end in sorted(cuts):
        out += data[pos:start] + b"{ ... }"
        pos = end
    return (out + data[pos:]).decode()
