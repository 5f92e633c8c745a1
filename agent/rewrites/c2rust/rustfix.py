"""The compiler's own fixes to the model's Rust: rustc marks some of its suggestions as
machine-applicable (a parameter the code assigns made `mut`, a numeric conversion written
out), and applying them costs a `cargo check` where a re-ask costs a model reply. Small models
make exactly these slips: the bundled 1.5B's `gcd` assigned to its parameters in every reply.
Some errors have one sure fix rustc does not offer, and code makes it: a C literal suffix
(`1u`, `0L`) is dropped, C's conditional operator (`return r < 0 ? -r : r;`) becomes Rust's
`if` expression, a number as an `if` or `while` condition (`if exp & 1`) is compared with 0 as
C does, a comparison where a number is expected (`item.type_0 & 0xFF == cJSON_Array` returned
as a `cJSON_bool`) is cast to it, as C's comparison is an int, a `*` on a value that is neither
pointer nor reference (`*byte`, a `u8`) goes, and an
import that does not resolve (`std::os::raw::c_size_t`) goes; a name it was needed for then
fails by itself, and that error goes back to the model. And a call to a safe twin that does not
exist (`gcd_rs`, where an earlier stage's `gcd` landed as C2Rust's unsafe export) calls that
export, inside `unsafe { }`: the translate prompt's pattern has every function's twin, so the
model writes one whatever it is shown. In a port of the C tests, C's habits get their Rust
form: an export called inside `unsafe { }`, an array or string passed by its pointer, a C truth
value compared with 0."""

from __future__ import annotations

import json
import re
from pathlib import PurePosixPath
from typing import Any


def messages(output: str) -> list[dict[str, Any]]:
    """The compiler messages in ``cargo --message-format=json...`` output."""
    found = []
    for line in output.splitlines():
        if line.startswith("{"):
            try:
                data = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(data, dict) and data.get("reason") == "compiler-message":
                found.append(data["message"])
    return found


def error_text(output: str) -> str:
    """The errors of a check as short lines; cargo's own failures (not JSON) as they came."""
    rendered = [str(m.get("rendered") or m.get("message", "")).strip() for m in messages(output)
                if m.get("level") == "error"]
    rendered = [r for r in rendered if r and not r.startswith(("error: aborting due to", "error: could not compile"))]
    if rendered:
        return "\n".join(dict.fromkeys(rendered))  # rustc repeats an error at each place it shows
    plain = [line for line in output.splitlines() if not line.startswith("{")]
    return "\n".join([line for line in plain if "error" in line] or plain[-20:])


def _in_lib(span: dict[str, Any], lib: str) -> bool:
    return PurePosixPath(str(span.get("file_name", ""))).parts[-2:] == PurePosixPath(lib).parts[-2:]


C_SUFFIX = re.compile(rb"(0[xX][0-9a-fA-F_]+(?=[uUlL]+$)|[0-9][0-9_]*(?:\.[0-9]+)?)([uUlLfF]+)")  # hex: no f
# One statement or tail expression with C's `cond ? yes : no`, after an optional `return`,
# `let x =` or assignment; `?` (Rust's try) is never followed by ` : ` in an expression.
TERNARY = re.compile(
    rb"(?P<lead>[ \t]*(?:return\s+|let\s+(?:mut\s+)?\w+(?:\s*:\s*[\w<>]+)?\s*=\s*|[\w.\[\]]+\s*[-+*/]?=\s*)?)"
    rb"(?P<cond>[^?;{}\n]+?)\s*\?\s+(?P<yes>[^?:;{}\n]+?)\s+:\s+(?P<no>[^?:;{}\n]+?)\s*(?P<end>;?[ \t]*)"
)


MISSING_TWIN = re.compile(r"cannot find function `(\w+)_rs` in this scope")
UNSAFE_CALL = re.compile(
    r"call to unsafe function `(?:\w+::)*(\w+)` is unsafe and requires unsafe (?:function or )?block")
NUMBER_FOR_BOOL = re.compile(r"expected `bool`, found (?:integer|`(?:[iu](?:8|16|32|64|128|size)|c_\w+)`)")
CONDITION = re.compile(rb"\b(?:if|while)\s+$")
POINTER_FOR_VALUE = re.compile(r"expected `\*(const|mut) (\w+)`, found `(.+)`")
CHAR_FOR_BYTE = re.compile(r"expected `([iu]8|c_char)`, found `char`")
BOOL_FOR_NUMBER = re.compile(r"expected `((?:[iu](?:8|16|32|64|size)|c_\w+))`, found `bool`")
ASSERT_NUMBER = re.compile(r"assert!\(\s*(!?)\s*(.+?)\s*\)", re.S)
TEXT_LITERAL = re.compile(r'b?"((?:[^"\\]|\\.)*)"')
METHOD_AS_FIELD = re.compile(r"attempted to take value of method `(\w+)` on type `.+`")
ASSIGNED = re.compile(rb"\s*=(?!=)\s*([^;{}]+?)\s*;")  # `= value;` after a field, on to the statement's end


def _line(data: bytes, start: int, end: int) -> tuple[int, int]:
    """The bytes of the whole line(s) around ``start``..``end``, with the line end."""
    line_start = data.rfind(b"\n", 0, start) + 1
    line_end = data.find(b"\n", end)
    return line_start, len(data) if line_end < 0 else line_end + 1


def _c_export(data: bytes, name: str) -> bool:
    """Whether the file defines ``name`` as an unsafe C export (C2Rust's, or one with pointers)."""
    return re.search(rb'\bunsafe\s+extern\s+"C"\s+fn\s+%s\s*\(' % re.escape(name.encode()), data) is not None


def _closes_at(text: str, start: int) -> int:
    """Where the bracket opened at ``start`` closes in ``text`` (-1 when it does not)."""
    depth = 0
    for at in range(start, len(text)):
        depth += text[at] in "([{"
        depth -= text[at] in ")]}"
        if depth == 0:
            return at
    return -1


def _one_operand(text: str) -> bool:
    """Whether ``text`` is one call, path or ``unsafe { }`` block: what a `!` before it negates whole."""
    head = re.match(r"unsafe\s*|[\w:.]+\s*", text)
    rest = head.end() if head else 0
    return rest == len(text) or (text[rest:rest + 1] in "({" and _closes_at(text, rest) == len(text) - 1)


def _as_pointer(text: str, kind: str, pointee: str, found: str) -> str | None:
    """A test's argument where C takes a pointer, written as C passes it: an array, vector or
    string by its first element's pointer (the 1.5B's port passed `&mut s`, `&v` and
    `b"banana"`); a C string's literal ends in NUL, as C's do. The element type is cast only
    between bytes and C chars: an integer array's type is left for the compiler to infer."""
    if not found.startswith(("&", "[", "Vec<")) or (kind == "mut" and found.startswith("&")
                                                    and not found.startswith("&mut")):
        return None
    literal = TEXT_LITERAL.fullmatch(text)
    if literal is not None and pointee == "i8" and not literal.group(1).endswith("\\0"):
        text = text[:-1] + '\\0"'
    cast = ".cast()" if pointee in ("i8", "u8") and re.search(r"\b[iu]8\b|str\b", found) else ""
    bare = re.fullmatch(r"&(?:mut\s+)?([\w.]+)", text)
    owner = bare[1] if bare else text if literal is not None or re.fullmatch(r"[\w.]+", text) else f"({text})"
    return f"{owner}.{'as_mut_ptr' if kind == 'mut' else 'as_ptr'}(){cast}"


def _test_fix(label: str, text: str) -> str | None:
    """The sure fix of a type error in a ported test, where C's habits meet Rust's types."""
    if (pointer := POINTER_FOR_VALUE.fullmatch(label)) is not None:
        return _as_pointer(text, pointer[1], pointer[2], pointer[3])
    if BOOL_FOR_NUMBER.fullmatch(label) and text in ("true", "false"):  # a C truth value is a number
        return "1" if text == "true" else "0"
    if (byte := CHAR_FOR_BYTE.fullmatch(label)) and re.fullmatch(r"'[ -~]'", text):  # C's 'a' is a byte
        return f"b{text}" + (" as i8" if byte[1] != "u8" else "")
    if not NUMBER_FOR_BOOL.fullmatch(label):
        return None
    found = ASSERT_NUMBER.fullmatch(text)  # rustc points at the whole `assert!` when its operand is a number
    truth = _truth(found[1] + found[2] if found else text)
    return truth if truth is None or found is None else f"assert!({truth})"


def _truth(expr: str) -> str | None:
    """A C truth value (a number) as Rust's bool, where it is one operand: C's `!x` is `x == 0`."""
    negated = expr.startswith("!")
    operand = expr[1:].strip() if negated else expr
    return f"({operand}) {'==' if negated else '!='} 0" if _one_operand(operand) else None


def _test_fixes(message: dict[str, Any], data: bytes, lib: str) -> list[tuple[int, int, str]]:
    """The edits for a type error in a ported test: one per argument or operand it names, from
    its own label or, where a call has several wrong arguments, from each argument's note."""
    if (message.get("code") or {}).get("code") != "E0308":
        return []
    named = [(s, str(s.get("label") or "")) for s in message.get("spans", [])]
    named += [(s, str(c.get("message", ""))) for c in message.get("children", []) for s in c.get("spans", [])]
    edits = []
    for span, label in named:
        if _in_lib(span, lib) and span["byte_end"] > span["byte_start"]:
            fix = _test_fix(label, data[span["byte_start"]:span["byte_end"]].decode())
            if fix is not None:
                edits.append((span["byte_start"], span["byte_end"], fix))
    return edits


def _own_fix(message: dict[str, Any], data: bytes, lib: str, others: bytes) -> tuple[int, int, str] | None:
    """The edit for an error rustc has no suggestion for but one sure fix, if it is one;
    ``others`` is the code ``lib`` calls (the library, for a test file)."""
    span = next((s for s in message.get("spans", []) if s.get("is_primary") and _in_lib(s, lib)), None)
    if span is None:
        return None
    start, end = span["byte_start"], span["byte_end"]
    code, said = (message.get("code") or {}).get("code"), str(message.get("message", ""))
    if said.startswith("invalid suffix") and (
            found := C_SUFFIX.fullmatch(data[start:end])):
        return start, end, found.group(1).decode()
    line_start, line_end = _line(data, start, end)
    line = data[line_start:line_end]
    if code == "E0308" and NUMBER_FOR_BOOL.fullmatch(str(span.get("label"))) \
            and CONDITION.search(data[line_start:start]):
        return start, end, f"({data[start:end].decode()}) != 0"
    if code == "E0308" and not others and (number := BOOL_FOR_NUMBER.fullmatch(str(span.get("label")))):
        return start, end, f"({data[start:end].decode()}) as {number[1]}"  # C's comparison is an int
    if code == "E0614" and data[start:start + 1] == b"*":  # a number dereferenced: C's habit
        return start, start + 1, ""
    ternary = TERNARY.fullmatch(line.rstrip(b"\n"))
    if ternary is not None and code is None:  # a syntax error on C's `?:`
        rust = b"%sif %s { %s } else { %s }%s" % ternary.group("lead", "cond", "yes", "no", "end")
        return line_start, line_start + len(line.rstrip(b"\n")), rust.decode()
    if code == "E0425" and (twin := MISSING_TWIN.fullmatch(said)) and data[start:end] == f"{twin[1]}_rs".encode() \
            and (_c_export(data, twin[1]) or _c_export(others, twin[1])):
        return start, end, twin[1]
    if code == "E0133" and (call := UNSAFE_CALL.fullmatch(said)) and (
            _c_export(data, call[1]) or _c_export(others, call[1])):
        return start, end, f"unsafe {{ {data[start:end].decode()} }}"
    if code == "E0615" and (method := METHOD_AS_FIELD.fullmatch(said)) and data[start:end] == method[1].encode() \
            and re.search(rb'#\[bitfield\(\s*name\s*=\s*"%s"' % method[1].encode(), data + others):
        # a C bit-field C2Rust packed (http-parser's `parser->flags`): read and written by methods
        if assigned := ASSIGNED.match(data, end):
            return start, assigned.end() - 1, f"set_{method[1]}({assigned[1].decode()})"
        return start, end, f"{method[1]}()"
    if code == "E0432":  # an unresolved import
        if line.lstrip().startswith(b"use ") and b"{" not in line:
            return line_start, line_end, ""
        if data[end:end + 1] == b",":  # one name of a braced list
            return start, end + (2 if data[end + 1:end + 2] == b" " else 1), ""
        if data[start - 2:start] == b", ":  # its last name
            return start - 2, end, ""
    return None


def fixed(text: str, part: tuple[int, int], output: str, lib: str, others: str = "") -> str | None:
    """``text`` (the file ``lib``) with the machine-applicable suggestions of the check's errors
    and the sure fixes above applied where they fall within the byte range ``part`` (the
    model's); None when none do. With ``others`` (the library a test file calls), a test's
    type errors get their fixes too."""
    data, called = text.encode(), others.encode()
    edits: set[tuple[int, int, str]] = set()
    for message in messages(output):
        if message.get("level") != "error":
            continue
        own = [*(_test_fixes(message, data, lib) if others else []), _own_fix(message, data, lib, called)]
        edits.update(e for e in own if e is not None and part[0] <= e[0] <= e[1] <= part[1])
        for child in message.get("children", []):
            spans = [s for s in child.get("spans", []) if s.get("suggested_replacement") is not None]
            if spans and all(s.get("suggestion_applicability") == "MachineApplicable" and _in_lib(s, lib)
                             and part[0] <= s["byte_start"] <= s["byte_end"] <= part[1] for s in spans):
                edits.update((s["byte_start"], s["byte_end"], s["suggested_replacement"]) for s in spans)
    last = len(data) + 1
    applied = False
    for begin, end, replacement in sorted(edits, reverse=True):
        if end > last or end > len(data):  # overlaps one applied already: the next check decides
            continue
        data = data[:begin] + replacement.encode() + data[end:]
        last, applied = begin, True
    return data.decode() if applied else None
