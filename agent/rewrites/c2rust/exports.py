"""The C ABI export of a model's safe ``NAME_rs``, written by code from the C signature when
the reply left it out: a small model writes the safe body far more often than the boundary
(the bundled 1.5B wrote only the `_rs` functions for c-mathlib's first stage in two prompts' runs).
Only what a signature pins down is wired: numbers (cast when the Rust type differs), a pointer
and the length after it as a slice (a `void *` as bytes), a C array parameter of fixed size as a
slice of that size, a C string as its bytes, a struct the function only reads as
an ``Option`` of a borrow, and one holding no pointers that it changes as an ``Option`` of a
mutable borrow; anything else is left to the model. Where the types leave the length of what a
pointer points to open, the function's code settles it (``with_body``), or it is not wired: a
slice longer than the caller's buffer is undefined behaviour however the body uses it."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace

import tree_sitter as ts

from agent.context.languages import parser
from agent.rewrites.c2rust.rustitems import exported_names, items, without_items

FFI_TYPES = {  # C spelling (words joined by one space) -> the Rust type at the C ABI
    "char": "c_char", "signed char": "i8", "unsigned char": "c_uchar", "short": "i16",
    "unsigned short": "u16", "int": "c_int", "signed int": "c_int", "signed": "c_int",
    "unsigned int": "c_uint", "unsigned": "c_uint", "long": "c_long", "long int": "c_long",
    "unsigned long": "c_ulong", "long long": "i64", "unsigned long long": "u64", "double": "c_double",
    "float": "f32", "size_t": "usize", "ssize_t": "isize", "int8_t": "i8", "int16_t": "i16",
    "int32_t": "i32", "int64_t": "i64", "uint8_t": "u8", "uint16_t": "u16", "uint32_t": "u32",
    "uint64_t": "u64", "bool": "bool", "_Bool": "bool",
}
SAME = {"c_char": "i8", "c_schar": "i8", "c_uchar": "u8", "c_short": "i16", "c_ushort": "u16", "c_int": "i32",
        "c_uint": "u32", "c_long": "i64", "c_ulong": "u64", "c_longlong": "i64", "c_ulonglong": "u64",
        "c_double": "f64", "c_float": "f32", "size_t": "usize", "ssize_t": "isize", "uint8_t": "u8",
        "int8_t": "i8", "uint32_t": "u32", "int32_t": "i32", "uint64_t": "u64", "int64_t": "i64",
        "uint16_t": "u16", "int16_t": "i16"}  # the aliases on this target (Linux x86-64), C2Rust's too
BYTES = {"i8", "u8"}
WIDTHS = {"i16": 2, "u16": 2, "i32": 4, "u32": 4, "f32": 4, "i64": 8, "u64": 8, "f64": 8, "usize": 8, "isize": 8}
NUMBERS = {*SAME.values(), "usize", "isize", "u16", "i16", "bool"}
LENGTHS = NUMBERS - BYTES - {"f32", "f64", "bool"}  # what a number after a pointer must be to be its length
KEYWORDS = {"as", "box", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern", "false", "fn",
            "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return",
            "self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where", "while"}


@dataclass(frozen=True)
class Param:
    name: str
    ffi: str  # the Rust type at the ABI; for a pointer, its pointee's
    pointer: str = ""  # "", "const" or "mut"
    size: int = 0  # a C array parameter's length (`unsigned char digest[32]`), which C passes as a pointer
    length: bool = False  # the code bounds the pointer before it by this number, in its elements (``with_body``)
    c_string: bool = False  # a `char *` or `unsigned char *` the code reads as a C string first (``with_body``)


def _primitive(ffi: str) -> str:
    last = ffi.rsplit("::", 1)[-1]
    return SAME.get(last, last)


Signature = tuple[list[Param], str]  # the parameters and the result type ("" for none) at the ABI
# A C type name the crate defines -> its type at the ABI: a number's alias to that number's
# (cJSON_bool -> c_int), a struct or union to its own name. See ``crate_types``.
CrateTypes = Mapping[str, str]
OPAQUE = {"c_void", "FILE"}  # pointees no borrow can stand for
VOID = "std::ffi::c_void"  # a C `void *`'s pointee, spelled so that lib.rs needs no import for it
# A library's export macro around the result type, `CJSON_PUBLIC(int) f(...)`: the type is inside.
VISIBILITY = re.compile(r"^\s*[A-Z][A-Z0-9_]*\(([^()]*)\)\s*")


def crate_types(lib: str) -> dict[str, str]:
    """The C type names ``lib`` (the crate so far, C2Rust's declarations among it) defines: its
    structs and unions, and its aliases of numbers resolved to the number."""
    found: dict[str, str] = {}
    for item in items(lib):
        if item.kind in ("struct", "union"):
            found[item.name] = item.name
        elif item.kind == "type" and (target := re.search(r"=\s*([\w:]+)\s*;", item.text)):
            last = target.group(1).rsplit("::", 1)[-1]
            if _primitive(last) in NUMBERS:
                found[item.name] = last
            elif found.get(last) == last:  # an alias of a struct is that struct
                found[item.name] = last
    return found


def c_signature(signature: str, types: CrateTypes | None = None) -> Signature | None:
    """The parameters and result type ("" for void) of a C signature at the Rust ABI, or None
    when a type is not a plain number, one of the crate's ``types``, or one level of pointer to
    either."""
    signature = VISIBILITY.sub(r"\1 ", signature)
    root = parser("c").parse((signature + ";").encode()).root_node
    decl = next((n for n in root.children if n.type == "declaration"), None)
    if decl is None:
        return None
    types = {} if types is None else types
    result = _ffi(decl, decl.child_by_field_name("declarator"), types)
    node = decl.child_by_field_name("declarator")
    while node is not None and node.type != "function_declarator":
        node = node.child_by_field_name("declarator")
    plist = node.child_by_field_name("parameters") if node is not None else None
    if plist is None or result is None:
        return None
    params: list[Param] = []
    for n, p in enumerate(c for c in plist.named_children if c.type == "parameter_declaration"):
        inner = p.child_by_field_name("declarator")
        ffi = _ffi(p, inner, types)
        if ffi is None or ffi == "void":
            return None if ffi is None or inner is not None else (params, result)
        ident = inner
        while ident is not None and ident.type != "identifier":
            ident = ident.child_by_field_name("declarator")
        name = ident.text.decode() if ident is not None and ident.text else f"arg{n}"
        name = f"r#{name}" if name in KEYWORDS else name
        size = inner.child_by_field_name("size") if inner is not None and inner.type == "array_declarator" else None
        if ffi.startswith("*"):
            kind, pointee = ffi[1:].split(" ", 1)
            length = int(size.text) if size is not None and size.text and size.text.isdigit() else 0
            params.append(Param(name, pointee, kind, length))
        else:
            params.append(Param(name, ffi))
    return params, "" if result == "void" else result


def _ffi(decl: ts.Node, declarator: ts.Node | None, types: CrateTypes) -> str | None:
    """The ABI type of a declaration's type and declarator: "c_long", "*const c_char", "void". A
    parameter declared as an array (`uint32_t B[16]`) is the pointer C passes for it."""
    kind = decl.child_by_field_name("type")
    if kind is None or kind.text is None:
        return None
    spelled = " ".join(kind.text.decode().split())
    named = re.sub(r"^(?:struct|union|enum) ", "", spelled)
    base = "void" if spelled == "void" else FFI_TYPES.get(spelled) or types.get(named)
    depth = 0
    node = declarator
    while node is not None and node.type in ("pointer_declarator", "abstract_pointer_declarator",
                                             "array_declarator", "abstract_array_declarator"):
        depth += 1
        node = node.child_by_field_name("declarator")
    if base is None or depth > 1:
        return None
    if not depth:
        return base
    base = VOID if base == "void" else base
    const = any(c.type == "type_qualifier" and c.text == b"const" for c in decl.children)
    return f"*{'const' if const else 'mut'} {base}"


def rust_signature(export: str) -> Signature | None:
    """The ABI signature of an ``extern "C"`` function's text (C2Rust's, for a safety stage),
    or None when a parameter is not a plain type or one level of raw pointer."""
    fn = next((n for n in parser("rust").parse(export.encode()).root_node.children if n.type == "function_item"), None)
    plist = fn.child_by_field_name("parameters") if fn is not None else None
    if fn is None or plist is None:
        return None
    params = []
    for p in plist.named_children:
        pattern, kind = p.child_by_field_name("pattern"), p.child_by_field_name("type")
        if p.type != "parameter" or pattern is None or kind is None or not pattern.text or not kind.text:
            return None
        name = pattern.text.decode().removeprefix("mut").strip()
        found = re.fullmatch(r"\*\s*(const|mut)\s+([\w:]+)|([\w:]+)", " ".join(kind.text.decode().split()))
        if found is None:
            return None
        params.append(Param(name, found.group(2), found.group(1)) if found.group(1) else Param(name, found.group(3)))
    result = fn.child_by_field_name("return_type")
    return params, result.text.decode() if result is not None and result.text else ""


def _rust_fn(code: str, name: str) -> tuple[list[str], str] | None:
    """The parameter types and result type ("" for none) of a safe ``fn name`` in ``code``."""
    item = next((i for i in items(code) if i.kind == "fn" and i.name == name), None)
    if item is None or item.export or re.search(r"\bunsafe\s+fn\b", item.text.split("{", 1)[0]):
        return None
    fn = next(n for n in parser("rust").parse(item.text.encode()).root_node.children if n.type == "function_item")
    plist, result = fn.child_by_field_name("parameters"), fn.child_by_field_name("return_type")
    types = [t.text.decode() for p in (plist.named_children if plist else []) if p.type == "parameter"
             for t in [p.child_by_field_name("type")] if t is not None and t.text]
    return ["".join(t.split()) for t in types], "".join(result.text.decode().split()) if result and result.text else ""


def _slice_elem(rust: str) -> tuple[str, bool] | None:
    found = re.fullmatch(r"&(mut)?\[(\w+)\]", rust)
    return (found.group(2), bool(found.group(1))) if found else None


def _record(p: Param) -> str:
    """The struct a pointer parameter points to, or '' for a number or an opaque pointee."""
    prim = _primitive(p.ffi)
    return prim if p.pointer and prim not in NUMBERS and prim not in OPAQUE else ""


def _length(after: Param | None) -> bool:
    """Whether ``after`` is the length of the buffer the parameter before it points to."""
    return after is not None and after.length and not after.pointer and _primitive(after.ffi) in LENGTHS


def _argument(params: list[Param], i: int, rust: str, pairs: int) -> tuple[str, int] | None:
    """The expression passing C parameter ``i`` (and the length after it, when ``pairs`` allow)
    to a Rust parameter of type ``rust``, and how many C parameters it took."""
    p = params[i]
    borrowed = re.fullmatch(r"Option<&(mut)?(\w+)>", rust)
    if borrowed:  # a struct the function reads or changes: null is None
        if not _record(p) or borrowed.group(2) != _record(p) or (borrowed.group(1) and p.pointer != "mut"):
            return None
        return f"unsafe {{ {p.name}.{'as_mut' if borrowed.group(1) else 'as_ref'}() }}", 1
    if not p.pointer:
        if rust == "bool":
            return f"{p.name} != 0", 1
        if rust == "char" and _primitive(p.ffi) in BYTES:
            return f"{p.name} as u8 as char", 1
        return (p.name if _primitive(rust) == _primitive(p.ffi) else f"{p.name} as {rust}"), 1
    slice = _slice_elem(rust)
    ptr = p.name if slice is None or slice[0] == _primitive(p.ffi) or _primitive(p.ffi) not in BYTES | {"c_void"} \
        else f"{p.name}.cast::<{slice[0]}>()"
    empty, parts = ("&mut []", "from_raw_parts_mut") if slice and slice[1] else ("&[]", "from_raw_parts")
    if slice is not None and p.size:  # C's array parameter: its declared length, no length parameter
        return f"if {p.name}.is_null() {{ {empty} }} else {{ unsafe {{ std::slice::{parts}({ptr}, {p.size}) }} }}", 1
    length = params[i + 1] if i + 1 < len(params) else None
    if slice is not None and length is not None and _length(length):
        n = length.name if _primitive(length.ffi) == "usize" else f"{length.name} as usize"
        short = f" || {length.name} <= 0" if _primitive(length.ffi).startswith("i") else ""  # a signed length
        made = f"if {p.name}.is_null(){short} {{ {empty} }} else {{ unsafe {{ std::slice::{parts}({ptr}, {n}) }} }}"
        return made, 2 if pairs > 0 else 1  # without a pair to spare, the length is passed on too
    if not p.c_string:
        return None
    # a `*mut c_char` coerces to the `*const c_char` CStr takes; a pointer cast would count as
    # one more raw-pointer type in the run's figures
    ptr = p.name if _primitive(p.ffi) == "i8" else f"{p.name}.cast::<c_char>()"
    c_str = f"unsafe {{ CStr::from_ptr({ptr}) }}"
    text = f"{c_str}.to_bytes()"
    if rust == "&[u8]":
        return f"if {p.name}.is_null() {{ &[] }} else {{ {text} }}", 1
    if rust == "&str":
        return f'if {p.name}.is_null() {{ "" }} else {{ std::str::from_utf8({text}).unwrap_or("") }}', 1
    if rust == "&CStr":
        return c_str, 1
    if rust == "&mut[u8]" and p.pointer == "mut":
        return (f"if {p.name}.is_null() {{ &mut [] }} else {{ unsafe {{ std::slice::from_raw_parts_mut("
                f"{p.name}.cast::<u8>(), CStr::from_ptr({ptr}).to_bytes().len()) }} }}"), 1
    return None


def safe_signature(name: str, signature: Signature | None, plain_structs: Collection[str] = ()) -> str | None:
    """The signature of the safe ``name_rs`` that ``export_for`` can wire to an export of
    ``signature``: a pointer and the length after it as a slice (bytes for a `void *`), a C
    array parameter of fixed size as a slice, a C string alone as its bytes (``with_body``), a ``const`` pointer
    to a struct as ``Option<&T>``, a pointer to one of the ``plain_structs`` as ``Option<&mut T>``,
    numbers as Rust's; None when a type is none of these. Asked for this exact signature, a
    small model writes the body; asked for the pair of functions, the 1.5B copied C2Rust's unsafe
    function under the safe name. Any other struct behind a pointer that is not ``const`` is
    left out: the function may free it or what it links to, which safe Rust cannot, and a body
    that does nothing would pass tests blind to leaks. The caller fills ``plain_structs`` with
    ``pointer_free``'s, and leaves it empty for a function that frees anything."""
    if signature is None:
        return None
    params, result = signature
    safe, i = [], 0
    while i < len(params):
        p, after = params[i], params[i + 1] if i + 1 < len(params) else None
        prim, borrow = _primitive(p.ffi), "&mut " if p.pointer == "mut" else "&"
        length = _length(after)
        if not p.pointer and prim in NUMBERS:
            safe.append(f"{p.name}: {'u8' if prim in BYTES else prim}")  # a C char is a byte of a C string
        elif p.pointer and p.size and prim in NUMBERS:
            safe.append(f"{p.name}: {borrow}[{prim}]")  # C's `digest[32]`: the export passes 32 of them
        elif p.pointer and (prim in NUMBERS or prim == "c_void") and length:
            safe.append(f"{p.name}: {borrow}[{'u8' if prim == 'c_void' else prim}]")
            i += 1  # the length is the slice's
        elif p.c_string:
            safe.append(f"{p.name}: {borrow}[u8]")
        elif p.pointer == "const" and _record(p):
            safe.append(f"{p.name}: Option<&{_record(p)}>")
        elif p.pointer == "mut" and _record(p) in plain_structs and _alone(params, p):
            safe.append(f"{p.name}: Option<&mut {_record(p)}>")
        else:
            return None
        i += 1
    if result and _primitive(result) not in NUMBERS:
        return None
    return f"pub fn {name}_rs({', '.join(safe)})" + (f" -> {_primitive(result)}" if result else "")


def _alone(params: list[Param], p: Param) -> bool:
    """Whether no other parameter points to ``p``'s type: two such pointers may be one struct,
    and a mutable borrow beside another borrow of it is undefined behaviour in Rust."""
    return not any(q is not p and q.pointer and _primitive(q.ffi) == _primitive(p.ffi) for q in params)


Records = Mapping[str, tuple[bool, set[str]]]  # a struct, union or alias -> a pointer of its own?, names it uses


def pointer_free(records: Records) -> set[str]:
    """The names of ``records`` that hold no pointer, directly or through a field of another of
    them or an alias of one: a function changing one through a pointer can do it in safe Rust,
    and can free nothing it links to (libscrypt's `SHA256_CTX`; not a `cJSON`)."""
    found = {name for name, (pointer, _) in records.items() if not pointer}
    while bad := {name for name in found if any(w in records and w not in found for w in records[name][1])}:
        found -= bad
    return found


FREES = re.compile(r"\b(?:free|realloc)\s*\(")


def changeable(plain: set[str], code: str) -> set[str]:
    """The structs the function in ``code`` (C, or C2Rust's Rust) may take as ``&mut``: the
    ``plain`` ones (``pointer_free``'s), unless it frees or reallocates anything (it may be
    freeing the struct)."""
    return set() if FREES.search(code) else plain


def _divides(code: str, name: str, width: int) -> bool:
    """Whether ``code`` (C, or C2Rust's Rust) divides ``name`` by ``width`` or a `sizeof`, takes
    its remainder by one, or shifts it right by ``width``'s bits: it counts bytes of
    ``width``-byte elements (libscrypt's `be32enc_vect` walks `len / 4` words of `src`)."""
    size = rf"\(?\s*(?:{width}\b|sizeof\b|[\w:]*size_of\b)"
    shift = rf"\(?\s*{width.bit_length() - 1}\b"
    n = re.escape(name.removeprefix("r#"))
    return bool(re.search(rf"\b{n}\s*(?:[/%]=?\s*|\.\s*wrapping_(?:div|rem)\(\s*){size}"
                          rf"|\b{n}\s*(?:>>=?\s*|\.\s*wrapping_shr\(\s*){shift}", code))


LOOPS = re.compile(r"\b(?:while|for)\s*(?:\((?:[^()]|\([^()]*\))*\)|[^{]*)")  # a loop's head: C's, or Rust's to `{`


def _reads_first(code: str, name: str) -> bool:
    """Whether ``code`` reads ``name`` to its NUL (`strlen(s)`, `strtok(s, "$")`, `strcmp(a, s)`) or
    loops on its characters (`for (; *s; s++)`, `while json[0] != 0`) before it writes into it: the
    caller passed a C string (to change in place: c-mathlib's `str_reverse(char *s)`, libscrypt's
    `libscrypt_check(char *mcf, ...)`), not a buffer to fill (`snprintf(mcf, ...)`)."""
    n = re.escape(name.removeprefix("r#"))
    measured = re.search(rf"\bstr(?:n?len|tok(?:_r)?|r?chr|cmp|casecmp|coll|str|dup|c?spn|pbrk)\s*\("
                         rf"(?:[^();]|\([^()]*\))*?\b{n}\b", code)
    looped = next((m for m in LOOPS.finditer(code) if re.search(rf"\*\s*{n}\b|\b{n}\s*\[", m.group(0))), None)
    write = re.search(rf"(?:\*\s*{n}\b(?:\s*\+\+|\s*\.\s*offset\s*\((?:[^()]|\([^()]*\))*\))?"
                      rf"|\b{n}\s*\[[^\]]*\])\s*=(?!=)"
                      rf"|\b\w*(?:printf|PRINTF|cpy|cat|memset|memmove)\s*\(\s*(?:\([^()]*\)\s*)?{n}\b", code)
    reads = [m.start() for m in (measured, looped) if m is not None]
    return bool(reads) and (write is None or min(reads) < write.start())


def _bounds(code: str, pointer: str, name: str) -> bool:
    """Whether ``code`` uses ``name`` as a bound: compares with it (`i < n`, `while len >= 64`),
    gives it a `mem*` function as the size, or passes it on right after ``pointer``
    (`array_sum(values, n)`). A number after a pointer need not be its length: http-parser's
    `(const char *buf, ..., int found_at)` style offsets and flags are not."""
    n, ptr = (re.escape(w.removeprefix("r#")) for w in (name, pointer))
    return bool(re.search(rf"(?<![-<>])[<>]=?\s*{n}\b|\b{n}\s*(?:--|\+\+)?\s*[<>]=?(?![<>])"
                          rf"|\bmem\w*\s*\((?:[^;()]|\([^()]*\))*\b{n}\s*\)"
                          rf"|\b{ptr}\s*,\s*(?:\([^()]*\)\s*)?{n}\b", code))


def with_body(signature: Signature | None, code: str) -> Signature | None:
    """``signature`` with what the function's ``code`` (C, or C2Rust's Rust) shows and its types do
    not: which number after a pointer is its length in elements (``_bounds``; not one that counts
    bytes of elements wider than a byte, as a slice of that many elements would run past the
    buffer), and which `char *` or `unsigned char *` is a C string (``_reads_first``). Not every
    one is: an output buffer (libscrypt's `libscrypt_mcf(..., char *mcf)`) holds no string yet,
    binary data (`be32enc_vect(unsigned char *dst, ...)`) none at all, and a `const char *` may be
    part of a longer buffer read by offsets (http-parser's `http_parse_host(const char *buf,
    ...)`, called with a buffer that need not end in a NUL; cJSON's `parse_hex4` reads 4 digits);
    `strlen` gives the length of none of these, and reading on to a NUL may run past the buffer."""
    if signature is None:
        return None
    params, result = signature
    marked = []
    for i, p in enumerate(params):
        before = params[i - 1] if i else None
        if before is not None and before.pointer and not p.pointer and _bounds(code, before.name, p.name):
            width = WIDTHS.get(_primitive(before.ffi), 0)
            p = replace(p, length=not (width and _divides(code, p.name, width)))
        if p.pointer and p.ffi.rsplit("::", 1)[-1] in ("c_char", "c_uchar") and _reads_first(code, p.name):
            p = replace(p, c_string=True)
        marked.append(p)
    return marked, result


def rust_records(lib: str) -> dict[str, tuple[bool, set[str]]]:
    """``pointer_free``'s input from the crate's structs, unions and type aliases (C2Rust's among them)."""
    found: dict[str, tuple[bool, set[str]]] = {}
    for item in items(lib):
        if item.kind in ("struct", "union"):
            pointer = bool(re.search(r"\*\s*(?:const|mut)\b|\bfn\s*\(", item.text))
            found[item.name] = (pointer, set(re.findall(r"\w+", item.text.split("{", 1)[-1])))
        elif item.kind == "type" and (target := re.search(r"=\s*([\w:]+)\s*;", item.text)):
            found[item.name] = (False, {target.group(1).rsplit("::", 1)[-1]})
    return found


class _AnyType(dict[str, str]):
    """Every type name as one of the crate's structs: what a plan sees before the crate exists."""

    def get(self, key: str, default: str | None = None) -> str:  # type: ignore[override]
        return key


def named_types(signature: str) -> set[str]:
    """The types a C signature names that are not C's own numbers (structs, aliases), passed,
    pointed to or returned: the crate must declare them before code can wire the export."""
    found = c_signature(signature, _AnyType())
    if found is None:
        return set()
    params, result = found
    named = {_primitive(p.ffi) for p in params} | ({_primitive(result.split()[-1])} if result else set())
    return {n for n in named if n not in NUMBERS and n not in OPAQUE}


def wirable(signature: str, code: str, plain: set[str]) -> bool:
    """Whether ``safe_signature`` will likely wire the C function ``code`` of ``signature`` once
    the crate holds its types: a named type passed or returned by value is taken for a number's
    alias (cJSON_bool), one behind a pointer for a struct (changed only if in ``plain``, which is
    ``pointer_free``'s). The plan keeps such functions in stages of their own."""
    found = with_body(c_signature(signature, _AnyType()), code)
    if found is None:
        return False
    params, result = found
    by_value = [p if p.pointer else replace(p, ffi="c_int") for p in params]
    result = result if not result or result.startswith("*") else "c_int"
    return safe_signature("f", (by_value, result), changeable(plain, code)) is not None


def export_for(name: str, signature: Signature | None, code: str) -> str | None:
    """``#[no_mangle] pub extern "C" fn name`` with ``signature``, calling ``code``'s safe
    ``name_rs``; None when the two cannot be wired by the rules above."""
    rust = _rust_fn(code, f"{name}_rs")
    if signature is None or rust is None:
        return None
    (params, result), (types, returns) = signature, rust
    args, lets, i, pairs = [], [], 0, len(params) - len(types)
    for rust_type in types:
        if i >= len(params):
            return None
        arg = _argument(params, i, rust_type, pairs)
        if arg is None:
            return None
        if params[i].pointer:  # a pointer becomes a borrow once, named as the C parameter was
            lets.append(f"let {params[i].name}: {rust_type.replace('&mut', '&mut ')} = {arg[0]};")
            args.append(params[i].name)
        else:
            args.append(arg[0])
        pairs -= arg[1] - 1
        i += arg[1]
    if i != len(params) or (returns and not result and returns != "()") or (result and not returns):
        return None
    call = f"{name}_rs({', '.join(args)})"
    if result and _primitive(returns) != _primitive(result):
        call = f"{call} as {result}"
    pointers = any(p.pointer for p in params)
    inputs = ", ".join(f"{p.name}: {'*' + p.pointer + ' ' if p.pointer else ''}{p.ffi}" for p in params)
    head = ("/// # Safety\n/// Each pointer is null or valid for the call, as the C callers guarantee.\n"
            if pointers else "")
    body = "".join(f"    {line}\n" for line in [*lets, call])
    return (f"{head}#[no_mangle]\npub {'unsafe ' if pointers else ''}extern \"C\" fn {name}({inputs})"
            f"{' -> ' + result if result else ''} {{\n{body}}}\n")


def _twin_renamed(code: str, name: str) -> str:
    """``code`` with a safe ``fn name`` (the model's, named after C) renamed ``name_rs``, and
    every call of it (in an export's body too: an export calling itself was meant to call the
    safe one); unchanged when ``name_rs`` exists or no safe ``name`` does. With an export of the
    same name beside it, the code does not build as written (the 1.5B wrote ``array_max`` twice,
    the export calling an ``array_max_rs`` it never wrote, or ``array_mean(values)``)."""
    if _rust_fn(code, f"{name}_rs") is not None or _rust_fn(code, name) is None:
        return code
    call = re.compile(rf"\b{re.escape(name)}\s*\(")
    for item in items(code):
        head, brace, body = item.text.partition("{") if item.export else ("", "", item.text)
        if call.search(body):
            code = code.replace(item.text, head + brace + call.sub(f"{name}_rs(", body), 1)
    return code


def without_exports(code: str, names: list[str]) -> str:
    """``code`` without its C ABI exports of ``names``: where code writes an export from the
    signature, a model's own (the 1.5B's took pointers where C takes numbers, or the `_rs` name)
    is not trusted."""
    return without_items(code, lambda item: item.export and item.name in names)


def with_exports(code: str, signatures: dict[str, Signature | None]) -> tuple[str, list[str]]:
    """``code`` with the exports it lacks written from ``signatures`` (by C name),
    and the names wired so. A safe function the model named after C (no ``_rs``) is renamed
    ``NAME_rs`` first, so the export can take the C name."""
    wired = []
    for name, signature in signatures.items():
        code = _twin_renamed(code, name)
        if name in exported_names(code):
            continue
        export = export_for(name, signature, code)
        if export is not None:
            code = code.rstrip("\n") + "\n\n" + export
            wired.append(name)
    return code, wired
