"""The compiler's own fixes to the model's Rust: rustc marks some of its suggestions as
machine-applicable (a parameter the code assigns made `mut`, a numeric conversion written
out), and applying them costs a `cargo check` where a re-ask costs a model reply. Small models
make exactly these slips: the bundled 1.5B's `gcd` assigned to its parameters in every reply."""

from __future__ import annotations

import json
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


def fixed(text: str, part: tuple[int, int], output: str, lib: str) -> str | None:
    """``text`` (the file ``lib``) with the machine-applicable suggestions of the check's errors
    applied where they fall within the byte range ``part`` (the model's); None when none do."""
    edits: set[tuple[int, int, str]] = set()
    for message in messages(output):
        if message.get("level") != "error":
            continue
        for child in message.get("children", []):
            spans = [s for s in child.get("spans", []) if s.get("suggested_replacement") is not None]
            if spans and all(s.get("suggestion_applicability") == "MachineApplicable" and _in_lib(s, lib)
                             and part[0] <= s["byte_start"] <= s["byte_end"] <= part[1] for s in spans):
                edits.update((s["byte_start"], s["byte_end"], s["suggested_replacement"]) for s in spans)
    data, last = text.encode(), len(text.encode()) + 1
    applied = False
    for begin, end, replacement in sorted(edits, reverse=True):
        if end > last or end > len(data):  # overlaps one applied already: the next check decides
            continue
        data = data[:begin] + replacement.encode() + data[end:]
        last, applied = begin, True
    return data.decode() if applied else None
