"""Catch an edit that breaks a Python file's syntax before it costs a sandbox run.

Small models often get indentation wrong: lines added after ``def f():`` at the ``def``'s own
indent. ``fit_indent`` moves such added lines to where the code around them says they belong,
if that makes the file parse; ``mend_indentation`` does the same for a whole new file, line by
line where the parser stops. Otherwise ``compile`` (which parses, never runs) names the line
and the message goes straight back to the model. A file that did not compile before the edit is
left to the tests: the edit is not what broke it.
"""

from __future__ import annotations

import io
import tokenize

from agent.errors import ModelReplyError

MEND_STEPS = 40  # indentation slips mended in one file before it is sent back instead


def _error(text: str, name: str) -> SyntaxError | None:
    try:
        compile(text, name, "exec", dont_inherit=True)
    except SyntaxError as err:
        return err
    except ValueError:  # NUL bytes: not something an edit check can judge
        return None
    return None


def _parses(text: str) -> bool:
    return _error(text, "<edit>") is None


def _lead(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _shifted(lines: list[str], shift: int) -> list[str]:
    """``lines`` moved ``shift`` columns right (left when negative, never past their indent)."""
    return [ln if not ln.strip() else (" " * shift + ln if shift > 0 else ln[min(-shift, _lead(ln)):])
            for ln in lines]


def fit_indent(before: str, after: str, search: str, replace: str) -> str:
    """``after`` (``before`` with ``search`` -> ``replace`` applied once), with the lines the
    edit adds shifted to the indent the code around them needs, when that alone makes a Python
    file that parsed before parse again. Anything else comes back unchanged."""
    if _parses(after) or not _parses(before) or before.count(search) != 1 or not search.strip():
        return after
    at = before.index(search)
    margin = before[before.rfind("\n", 0, at) + 1:at]  # a search may start mid-line, after the indent
    offset = len(margin) if not margin.strip() else 0
    quoted = search.rstrip("\n").split("\n")
    if replace.startswith(search):  # lines added after the quoted ones
        added, keep_head, keep_tail = replace[len(search):], search, ""
        last = quoted[-1]
        need = _lead(last) + (offset if len(quoted) == 1 else 0) + (4 if last.rstrip().endswith(":") else 0)
    elif replace.endswith(search):  # lines added before them
        added, keep_head, keep_tail = replace[: len(replace) - len(search)], "", search
        need = offset + _lead(quoted[0])
    else:
        return after
    lines = added.splitlines(keepends=True)
    if not any(ln.strip() for ln in lines):
        return after
    shift = need - min(_lead(ln) for ln in lines if ln.strip())
    if shift == 0:
        return after
    moved = "".join(_shifted(lines, shift))
    fixed = before[:at] + keep_head + moved + keep_tail + before[at + len(search):]
    return fixed if _parses(fixed) else after


def _open_levels(text: str, lineno: int) -> list[int]:
    """The indentation levels open before line ``lineno``, as the tokenizer saw them."""
    levels = [0]
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.start[0] >= lineno:
                break
            if tok.type == tokenize.INDENT:
                levels.append(len(tok.string))
            elif tok.type == tokenize.DEDENT:
                levels.pop()
    except (SyntaxError, tokenize.TokenError):
        pass
    return levels


def _wanted_indent(text: str, lines: list[str], at: int, msg: str) -> int | None:
    """Where line ``at`` (0-based), at which the parser stopped with ``msg``, belongs, for the
    three ways an indent goes wrong."""
    lead = _lead(lines[at])
    if "unindent does not match" in msg:  # between two open levels: the nearer one, the outer on a tie
        return min(_open_levels(text, at + 1), key=lambda level: (abs(level - lead), level))
    previous = next((ln for ln in reversed(lines[:at]) if ln.strip()), None)
    if previous is None:
        return None
    if msg.startswith("unexpected indent"):
        return _lead(previous)
    if msg.startswith("expected an indented block"):
        return _lead(previous) + 4
    return None


def mend_indentation(text: str) -> str:
    """``text`` with its indentation slips moved where the code around them says they belong,
    when that alone makes it parse; otherwise ``text`` unchanged. Each step moves the line the
    parser stopped at, with the lines nested under it, to the nearest level that fits. The
    tests judge the result like any other; a reply sent back for a slip costs a whole new reply.
    """
    if _parses(text) or "\t" in text:  # tabs: a column count would guess their width
        return text
    lines = text.splitlines(keepends=True)
    for _ in range(MEND_STEPS):
        now = "".join(lines)
        err = _error(now, "<whole>")
        if err is None:
            return now
        if not isinstance(err, IndentationError) or not 0 < (err.lineno or 0) <= len(lines):
            return text
        at = (err.lineno or 0) - 1
        want = _wanted_indent(now, lines, at, err.msg)
        lead = _lead(lines[at])
        if want is None or want == lead:
            return text
        end = at + 1
        while end < len(lines) and (not lines[end].strip() or _lead(lines[end]) > lead):
            end += 1
        lines[at:end] = _shifted(lines[at:end], want - lead)
    return text


def check_python_syntax(before: dict[str, str], after: dict[str, str]) -> None:
    """Raise ``ModelReplyError`` naming the line if an edit makes a Python file unparseable.

    ``before`` holds the files as they were (a file missing from it is new), ``after`` as edited.
    """
    for rel, text in sorted(after.items()):
        if not rel.endswith(".py"):
            continue
        err = _error(text, rel)
        if err is None or _error(before.get(rel, ""), rel) is not None:
            continue
        line = (err.text or "").strip()
        raise ModelReplyError(
            f"the edits make {rel} invalid Python ({err.msg}, line {err.lineno}: {line!r}); "
            "keep each line's indentation as in the file around it"
        )
