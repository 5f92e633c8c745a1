"""Search/replace edits: parsing the model's JSON reply and applying it all-or-nothing.

A reply is ``{"edits": [{"file": ..., "search": ..., "replace": ...}]}``. Every edit must find
its search text exactly once (after a tolerant whitespace match if the exact one fails); if any
edit fails, nothing is written and the error says which edit and why, so it can go back to the
model verbatim. See adr/0002-edit-format.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from agent.edits.syntax import check_python_syntax, fit_indent
from agent.errors import ModelReplyError
from agent.vcs import git

EDIT_SCHEMA: dict = {
    "type": "object",
    "properties": {
        "edits": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "properties": {
                    "file": {"type": "string"},
                    "search": {"type": "string"},
                    "replace": {"type": "string"},
                },
                "required": ["file", "search", "replace"],
            },
        }
    },
    "required": ["edits"],
}


@dataclass(frozen=True)
class Edit:
    file: str
    search: str
    replace: str


def parse_edits(reply: str) -> list[Edit]:
    """Turn a model reply into edits, or raise ``ModelReplyError`` saying what is wrong."""
    text = reply.strip()
    if text.startswith("```"):
        text = text.strip("`").split("\n", 1)[-1] if "\n" in text else ""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise ModelReplyError(f"the reply is not valid JSON ({err.msg} at char {err.pos})") from None
    edits = data.get("edits") if isinstance(data, dict) else None
    if not isinstance(edits, list) or not edits:
        raise ModelReplyError('the reply must be an object with a non-empty "edits" list')
    out = []
    for i, item in enumerate(edits, 1):
        if not isinstance(item, dict) or not all(isinstance(item.get(k), str) for k in ("file", "search", "replace")):
            raise ModelReplyError(f'edit {i} needs string fields "file", "search" and "replace"')
        out.append(Edit(item["file"].strip(), item["search"], item["replace"]))
    return out


def _safe_relpath(name: str) -> str:
    path = PurePosixPath(name.removeprefix("./"))
    if not name or path.is_absolute() or ".." in path.parts or path.parts[0] == ".git":
        raise ModelReplyError(f"edit names file '{name}', which is not a path inside the repository")
    return str(path)


def _tolerant_find(content: str, search: str) -> tuple[int, int] | None:
    """Find ``search`` ignoring trailing spaces and a uniform indent change; unique match only."""
    lines = content.splitlines(keepends=True)
    want = [s.strip() for s in search.strip("\n").splitlines()]
    if not want or not any(want):
        return None
    hits = []
    for start in range(len(lines) - len(want) + 1):
        if all(lines[start + j].strip() == want[j] for j in range(len(want))):
            hits.append(start)
    if len(hits) != 1:
        return None
    begin = sum(len(x) for x in lines[: hits[0]])
    end = begin + sum(len(x) for x in lines[hits[0] : hits[0] + len(want)])
    return begin, end


def _apply_one(content: str, edit: Edit, index: int) -> str:
    count = content.count(edit.search)
    if count == 1:
        return content.replace(edit.search, edit.replace, 1)
    if count > 1:
        raise ModelReplyError(
            f"edit {index}: the search text occurs {count} times in {edit.file}; "
            "include more surrounding lines so it matches exactly once"
        )
    span = _tolerant_find(content, edit.search)
    if span is None:
        first = edit.search.strip().splitlines()[0] if edit.search.strip() else ""
        raise ModelReplyError(
            f"edit {index}: the search text was not found in {edit.file} "
            f"(first line: {first!r}); copy the lines exactly from the file as shown"
        )
    begin, end = span
    replace = edit.replace if edit.replace.endswith("\n") or not edit.replace else edit.replace + "\n"
    return content[:begin] + _reindent(replace, edit.search, content[begin:end]) + content[end:]


def _indent(text: str) -> str:
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    return first[: len(first) - len(first.lstrip())]


def _reindent(replace: str, search: str, found: str) -> str:
    """``replace`` shifted by the indent the tolerant match had to forgive (``search`` quoted at
    4 spaces what the file has at 8, and ``replace`` starts at 4 as well: it belongs at 8).
    A replacement already written at another indent is left as the model wrote it."""
    have, quoted = _indent(found), _indent(search)
    if have == quoted or _indent(replace) != quoted:
        return replace
    out = []
    for line in replace.splitlines(keepends=True):
        if not line.strip():
            out.append(line)
        elif len(have) > len(quoted):
            out.append(have[: len(have) - len(quoted)] + line)
        else:
            cut = len(quoted) - len(have)
            out.append(line[cut:] if line[:cut].strip() == "" else line.lstrip())
    return "".join(out)


def _relocate(root: Path, edit: Edit, rel: str) -> str:
    """The one other tracked file that holds the search text exactly once, else ``rel``.

    Small models often quote the right lines under the wrong file name; the patch shows a
    person exactly which file changed, so following the text is safe.
    """
    if not edit.search.strip():
        return rel
    listed = git.run(root, "ls-files", "-z")
    hits = []
    for name in listed.stdout.decode("utf-8", "surrogateescape").split("\0"):
        path = root / name
        if not name or name == rel or not path.is_file() or path.stat().st_size > 1_000_000:
            continue
        if path.read_text(encoding="utf-8", errors="surrogateescape").count(edit.search) == 1:
            hits.append(name)
    return hits[0] if len(hits) == 1 else rel


def apply_edits(root: Path, edits: list[Edit]) -> dict[str, str]:
    """Compute the new text of every touched file; raise before anything is written.

    An edit that leaves a Python file unparseable is refused here too, with the line, so it goes
    back to the model before a sandbox run is spent on it.
    """
    new: dict[str, str] = {}
    before: dict[str, str] = {}  # each existing file as it was, for the syntax check
    for i, edit in enumerate(edits, 1):
        rel = _safe_relpath(edit.file)
        path = root / rel
        if rel not in new and (not path.is_file() or edit.search not in path.read_text(errors="surrogateescape")):
            rel = _relocate(root, edit, rel)
            path = root / rel
        if rel in new:
            content: str | None = new[rel]
        elif path.is_file():
            content = before[rel] = path.read_text(encoding="utf-8", errors="surrogateescape")
        else:
            content = None
        if content is None:
            if edit.search.strip():
                raise ModelReplyError(f'edit {i}: file {rel} does not exist; to create it, leave "search" empty')
            new[rel] = edit.replace
        elif not edit.search.strip():
            raise ModelReplyError(f'edit {i}: file {rel} exists, so "search" must quote the lines to replace')
        else:
            changed = _apply_one(content, Edit(rel, edit.search, edit.replace), i)
            if rel.endswith(".py"):
                changed = fit_indent(content, changed, edit.search, edit.replace)
            new[rel] = changed
    check_python_syntax(before, new)
    return new

