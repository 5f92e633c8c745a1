"""Catch an edit that breaks a Python file's syntax before it costs a sandbox run.

Small models often get indentation wrong; ``compile`` (which parses, never runs) says where at
once, and the message goes straight back to the model. A file that did not compile before the
edit is left to the tests: the edit is not what broke it.
"""

from __future__ import annotations

from pathlib import Path

from agent.errors import ModelReplyError


def _error(text: str, name: str) -> SyntaxError | None:
    try:
        compile(text, name, "exec", dont_inherit=True)
    except SyntaxError as err:
        return err
    except ValueError:  # NUL bytes: not something an edit check can judge
        return None
    return None


def check_python_syntax(root: Path, contents: dict[str, str]) -> None:
    """Raise ``ModelReplyError`` naming the line if an edit makes a Python file unparseable."""
    for rel, text in sorted(contents.items()):
        if not rel.endswith(".py"):
            continue
        err = _error(text, rel)
        if err is None:
            continue
        path = root / rel
        before = path.read_text(encoding="utf-8", errors="surrogateescape") if path.is_file() else ""
        if _error(before, rel) is not None:
            continue
        line = (err.text or "").strip()
        raise ModelReplyError(
            f"the edits make {rel} invalid Python ({err.msg}, line {err.lineno}: {line!r}); "
            "keep each line's indentation as in the file around it"
        )
