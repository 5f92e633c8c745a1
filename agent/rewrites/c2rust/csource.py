"""The C side of a translation: which functions a file defines, and removing them once Rust
provides them. Parsed with tree-sitter-c, so macros and comments do not confuse the cut."""

from __future__ import annotations

import re
from dataclasses import dataclass

import tree_sitter as ts

from agent.context.languages import parser
from agent.rewrites.c2rust.rustitems import IDENT


@dataclass(frozen=True)
class CFunction:
    name: str
    start: int  # byte offsets of the whole definition in its file
    end: int
    signature: str  # the definition's text up to its body, e.g. "long gcd(long a, long b)"
    text: str

    @property
    def static(self) -> bool:
        """Whether the function is private to its file (``static`` before its name)."""
        return "static" in self.signature.split("(")[0].split()


def _name(declarator: ts.Node | None) -> str | None:
    """The identifier a (possibly pointer-wrapped) function declarator declares."""
    while declarator is not None and declarator.type != "function_declarator":
        declarator = declarator.child_by_field_name("declarator")
    if declarator is None:
        return None
    ident = declarator.child_by_field_name("declarator")
    return ident.text.decode() if ident is not None and ident.text is not None else None


def functions(source: str) -> list[CFunction]:
    """Top-level function definitions of a C file, in file order."""
    data = source.encode()
    tree = parser("c").parse(data)
    found = []
    for node in tree.root_node.children:
        if node.type != "function_definition":
            continue
        name = _name(node.child_by_field_name("declarator"))
        body = node.child_by_field_name("body")
        if name is None or body is None:
            continue
        signature = data[node.start_byte : body.start_byte].decode().strip()
        text = data[node.start_byte : node.end_byte].decode()
        found.append(CFunction(name, node.start_byte, node.end_byte, " ".join(signature.split()), text))
    return found


RECORDS = ("struct_specifier", "union_specifier")
POINTERS = ("pointer_declarator", "abstract_pointer_declarator", "function_declarator")


def _descendants(node: ts.Node) -> list[ts.Node]:
    found, todo = [], [node]
    while todo:
        found.append(todo.pop())
        todo.extend(found[-1].named_children)
    return found


def records(source: str) -> dict[str, tuple[bool, set[str]]]:
    """Each struct or union tag and typedef name ``source`` defines -> whether its own fields
    hold a pointer, and the type names they (or the typedef) name: ``exports.pointer_free``'s input."""
    found: dict[str, tuple[bool, set[str]]] = {}
    for node in _descendants(parser("c").parse(source.encode()).root_node):
        if node.type in RECORDS and (body := node.child_by_field_name("body")) is not None:
            inside = _descendants(body)
            pointer = any(n.type in POINTERS for n in inside)
            named = {n.text.decode() for n in inside if n.type == "type_identifier" and n.text}
            tag, typedef = node.child_by_field_name("name"), node.parent
            names = [tag] if tag else typedef.children_by_field_name("declarator") \
                if typedef and typedef.type == "type_definition" else []
            found.update({n.text.decode(): (pointer, named) for n in names if n.text})
        elif node.type == "type_definition" and (kind := node.child_by_field_name("type")) is not None:
            target = kind.child_by_field_name("name") if kind.type in RECORDS else kind
            for alias in node.children_by_field_name("declarator"):
                if alias.type == "type_identifier" and alias.text and target and target.text != alias.text:
                    found.setdefault(alias.text.decode(), (False, {(target.text or b"").decode()}))
    return found


def first_declaration(source: str, name: str) -> int | None:
    """Where the line of the first prototype or definition of the function ``name`` begins (in
    ``source``'s characters), at the top level or inside a preprocessor branch or an
    ``extern "C"`` block; None when nothing declares it."""
    data = source.encode()
    stack = [parser("c").parse(data).root_node]
    while stack:
        node = stack.pop(0)
        if node.type in ("declaration", "function_definition"):
            if _name(node.child_by_field_name("declarator")) == name:
                start = data.rfind(b"\n", 0, node.start_byte) + 1
                return len(data[:start].decode(errors="replace"))
            continue
        stack = [c for c in node.children if c.type != "compound_statement"] + stack
    return None


def remove_functions(source: str, names: set[str]) -> str:
    """``source`` without the definitions of ``names`` (and the blank line after each). A
    ``static`` function leaves its prototype, without ``static``, in its place: no header
    declares it, and the C code still calling it now calls the Rust export. A forward ``static``
    prototype of it loses ``static`` too (cJSON's `parse_value`): a static function declared and
    never defined fails a ``-Werror`` build, and the call must reach the export."""
    data = source.encode()
    cuts: list[tuple[int, int, bytes]] = []  # byte spans and what replaces them
    for function in functions(source):
        if function.name in names:
            kept = " ".join(w for w in function.signature.split(" ") if w not in ("static", "inline", "__inline"))
            cuts.append((function.start, _past(data, function.end),
                         f"{kept};\n".encode() if function.static else b""))
    for node in parser("c").parse(data).root_node.children:  # a forward `static` prototype loses it too
        if node.type == "declaration" and _name(node.child_by_field_name("declarator")) in names:
            cuts += [(c.start_byte, _past(data, c.end_byte, b" \t\n"), b"") for c in node.children
                     if c.type == "storage_class_specifier" and c.text in (b"static", b"inline", b"__inline")]
    out, pos = bytearray(), 0
    for start, end, text in sorted(cuts):
        out += data[pos:start] + text
        pos = end
    out += data[pos:]
    return without_unused_statics(out.decode())


def _past(data: bytes, pos: int, blanks: bytes = b"\n\r") -> int:
    """Where the run of ``blanks`` at ``pos`` ends: by default the blank line(s) after a removed
    definition."""
    while pos < len(data) and data[pos] in blanks:
        pos += 1
    return pos


def _static_data(node: ts.Node) -> str | None:
    """The one name a top-level ``static`` variable declaration declares, else None."""
    if node.type != "declaration" or not any(
            c.type == "storage_class_specifier" and c.text == b"static" for c in node.children):
        return None
    declarators = node.children_by_field_name("declarator")
    if len(declarators) != 1:
        return None
    declarator: ts.Node | None = declarators[0]
    while declarator is not None and declarator.type != "identifier":
        if declarator.type == "function_declarator":
            return None  # a prototype, not data
        declarator = declarator.child_by_field_name("declarator")
    return declarator.text.decode() if declarator is not None and declarator.text is not None else None


def static_data(source: str) -> list[str]:
    """The names of the file's top-level ``static`` variables, private to it like its static functions."""
    names = (_static_data(node) for node in parser("c").parse(source.encode()).root_node.children)
    return [name for name in names if name is not None]


MACRO = re.compile(r"^[ \t]*#[ \t]*define[ \t]+(\w+)((?:[^\n]*\\\n)*[^\n]*)", re.M)
NOT_CODE = re.compile(r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'', re.S)


def compact(source: str) -> str:
    """``source`` as a prompt shows it: without comments, blank lines, or the runs of spaces that
    align columns (outside lines holding a string or character). http-parser's header is 4,373
    tokens of the 1.5B's as written and 2,812 so, which is what kept six of its functions'
    prompts, with the reply's room, over an 8k context."""
    bare = NOT_CODE.sub(lambda m: m.group(0) if m.group(0)[0] in "\"'" else "", source)
    lines = [line.rstrip() if '"' in line or "'" in line else re.sub(r"(?<=\S)[ \t]{2,}", " ", line.rstrip())
             for line in bare.splitlines() if line.strip()]
    return "\n".join(lines) + "\n" if lines else ""


def used_words(source: str) -> set[str]:
    """The identifiers C code names, a macro's body counting only where the code uses the macro:
    http-parser's table `normal_url_char` is read only through `IS_URL_CHAR`, which nothing
    left uses once `parse_url_char` is Rust."""
    source = NOT_CODE.sub(" ", source)  # a comment's words name nothing (http-parser's on max_header_size)
    bodies = {m.group(1): m.group(2) for m in MACRO.finditer(source)}
    used = set(IDENT.findall(MACRO.sub("", source)))
    todo = list(used & set(bodies))
    while todo:
        new = set(IDENT.findall(bodies[todo.pop()])) - used
        used |= new
        todo += list(new & set(bodies))
    return used


def without_unused_statics(source: str) -> str:
    """``source`` without the file's ``static`` data that nothing left in it uses: a table only
    translated functions read (http-parser's ``http_strerror_tab``) would otherwise fail a
    ``-Werror`` build as unused; the Rust that reads it has its own copy."""
    while True:
        data = source.encode()
        for node in parser("c").parse(data).root_node.children:
            name = _static_data(node)
            if name is None:
                continue
            rest = (data[: node.start_byte] + data[node.end_byte:]).decode(errors="replace")
            if name not in used_words(rest):
                source = (data[: node.start_byte] + data[_past(data, node.end_byte):]).decode()
                break
        else:
            return source


def renamed(source: str, names: dict[str, str]) -> str:
    """``source`` with each identifier in ``names`` replaced by its new name, wherever the code
    names it (definition, prototype, calls, a function pointer, a macro's body), never inside a
    string, a comment or a struct field of the same name."""
    data = source.encode()
    spans: list[tuple[int, int, str]] = []
    words = re.compile(r"\b(" + "|".join(map(re.escape, names)) + r")\b")
    stack = [parser("c").parse(data).root_node]
    while stack:
        node = stack.pop()
        text = node.text.decode(errors="replace") if node.text is not None else ""
        if node.type == "identifier" and text in names:
            spans.append((node.start_byte, node.end_byte, names[text]))
        elif node.type == "preproc_arg":  # a macro's body is not parsed as C: its words are
            spans += [(node.start_byte + len(text[:m.start()].encode()), node.start_byte + len(text[:m.end()].encode()),
                       names[m.group(1)]) for m in words.finditer(text)]
        else:
            stack.extend(node.children)
    for start, end, new in sorted(spans, reverse=True):
        data = data[:start] + new.encode() + data[end:]
    return data.decode()
