"""The code of the tests that still fail, shown beside their output to the candidate that must
fix them.

A short traceback shows the failing line of a test; a test that calls the code on one line and
checks the result on the next shows only the check. The 1.5B, told "'series cannot be empty or
slice length cannot be zero' != 'slice length cannot be zero'" without the call that raised it,
wrote the same merged check back in every repair (series): the test's code pairs each input
with the value it must give.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from typing import Any

from agent.context.languages import detect_language, has_grammar
from agent.context.parse import definition_source

FAILING_CODE_TESTS = 4  # tests shown at most, the ones the output tail names first
FAILING_CODE_CHARS = 1500  # about 400 tokens: a repair's prompt is read at ~36 tokens/s on one core


def _code(read: Callable[[str], str | None], test_id: str) -> str | None:
    """The source of one test, by its runner's id (``path::Class::name[param]``)."""
    path, _, rest = test_id.partition("::")
    text = read(path) if rest else None
    lang = detect_language(path, (text or "")[:200].encode())
    if text is None or not has_grammar(lang):
        return None
    names = [re.sub(r"\[.*\]$", "", n) for n in rest.split("::")]
    code = definition_source(str(lang), text.encode(), names)
    return textwrap.dedent(code).rstrip("\n") + "\n" if code else None


def failing_code(read: Callable[[str], str | None], tests: dict[str, Any]) -> str:
    """The code of the tests that fail in ``tests`` (a check's report), those the output tail
    shows first, in a fenced block; '' when the runner names none or none can be found."""
    outcomes: dict[str, str] = tests.get("outcomes") or {}
    failing = [t for t, o in outcomes.items() if o in ("failed", "errors")]
    tail = tests.get("output_tail", "")
    shown = [t for t in failing if re.sub(r"\[.*\]$", "", t.rsplit("::", 1)[-1]) in tail]
    parts: list[str] = []
    for test_id in (shown + [t for t in failing if t not in shown])[:FAILING_CODE_TESTS]:
        code = _code(read, test_id)
        if code is None or code in parts:  # parametrized cases share their code
            continue
        if parts and sum(map(len, parts)) + len(code) > FAILING_CODE_CHARS:
            break
        parts.append(code[:FAILING_CODE_CHARS])
    if not parts:
        return ""
    return "The code of the failing tests:\n```\n" + "\n".join(parts) + "```\n"
