"""What "verified" means: a stage is judged against the tests as they stood before it.

"All green" cannot judge a goal that starts from failing tests: no intermediate stage of a
red-to-green goal is green. So a stage verifies when no test that passed before it fails after
it, and, where tests were failing before it, it makes at least one of them pass (a goal that
says it changes no behaviour needs only the first). The tests are the judge, not the material:
a stage may not edit a test file unless the goal asks for tests.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import PurePosixPath
from typing import Any

PASSED = "passed"
FAILING = ("failed", "errors")

_TEST_DIRS = {"tests", "test", "testing", "spec", "specs", "__tests__"}
_TEST_NAME = re.compile(
    r"^(test_.*\.py|.*_test\.(py|go|rs|c|cc|cpp)|conftest\.py|.*\.(test|spec)\.[jt]sx?|test_.*\.(c|cc|cpp))$"
)
# "add a test", "write unit tests for", "update the tests", "extend test coverage": the goal asks
# for test changes. "make the failing tests pass" or "keep the names the tests call" do not.
_ASKS_FOR_TESTS = re.compile(
    r"\b(add|write|create|update|extend|improve|modify|change|edit|rewrite|adjust|cover|expand)\w*"
    r"\s+(?:(?:a|an|the|some|more|new|missing|its|their|unit|regression|integration|failing)\s+){0,3}"
    r"(tests?|test\s+(?:cases?|coverage|suite|files?)|unit\s+tests?|specs?)\b"
    r"|\btest\s+coverage\b|\b(tests?)\s+for\b",
    re.I,
)
# The kind of change a goal names in its first sentence: a refactor, a rename, documentation.
# Further in, such words describe the task's material ("you'll clean up valid numbers" in a
# description of what the code must do), not the change.
_BEHAVIOUR_KEEPING_KIND = re.compile(
    r"\b(refactor\w*|rename\w*|extract\w*|reformat\w*|docstrings?|comments?|type hints?|clean\s*up|tidy)\b", re.I
)
# Said anywhere in the goal.
_NO_BEHAVIOUR_CHANGE = re.compile(
    r"\b(no behaviou?r change|without changing (?:the )?behaviou?r|behaviou?r[- ]preserving)\b", re.I
)
_SENTENCE_END = re.compile(r"[.!?](?:\s|$)|\n")


def is_test_path(path: str) -> bool:
    """A file a test runner reads as tests: under a tests folder, or named like a test file."""
    parts = PurePosixPath(path).parts
    return bool(parts) and (any(p.lower() in _TEST_DIRS for p in parts[:-1]) or bool(_TEST_NAME.match(parts[-1])))


def goal_asks_for_tests(goal: str) -> bool:
    return bool(_ASKS_FOR_TESTS.search(goal))


def first_sentence(goal: str) -> str:
    """The goal's first sentence, after any Markdown headings and blank lines."""
    lines = [line for line in goal.strip().splitlines() if line.strip() and not line.lstrip().startswith("#")]
    text = "\n".join(lines)
    end = _SENTENCE_END.search(text)
    return text[:end.start()] if end else text


def preserves_behaviour(goal: str) -> bool:
    """The goal says it changes no behaviour: its first sentence names a refactor, a rename or
    documentation, or it says so in as many words anywhere."""
    return bool(_BEHAVIOUR_KEEPING_KIND.search(first_sentence(goal)) or _NO_BEHAVIOUR_CHANGE.search(goal))


def test_edits(paths: list[str], goal: str) -> list[str]:
    """The test files among ``paths`` that the goal gives no leave to edit."""
    return [] if goal_asks_for_tests(goal) else [p for p in paths if is_test_path(p)]


@dataclass(frozen=True)
class Verdict:
    """A stage's tests against those of its starting point."""

    ok: bool
    fixed: int  # tests not passing before that pass now
    failing_before: int  # of the tests the stage could fix: those not passing before it
    broke: list[str] = field(default_factory=list)  # tests that passed before and do not now
    still_failing: int = 0
    reason: str = ""  # why not ok, in one line

    def summary(self) -> str:
        broke = f"broke {len(self.broke)} ({', '.join(self.broke[:3])})" if self.broke else "broke none"
        if not self.failing_before:
            return f"no test was failing, {broke}"
        return f"fixed {self.fixed} of {self.failing_before} failing tests, {broke}"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"summary": self.summary()}


def _failing(report: dict[str, Any]) -> int:
    return int(report.get("failed", 0)) + int(report.get("errors", 0))


def passed(report: dict[str, Any]) -> set[str]:
    """The tests a test report names as passed, by id."""
    return {t for t, o in (report.get("outcomes") or {}).items() if o == PASSED}


def judge(before: dict[str, Any], after: dict[str, Any], preserve: bool = False) -> Verdict:
    """Judge ``after`` (a test report of the stage) against ``before`` (its starting point).

    Per-test outcomes are used where the runner names its tests; otherwise the counts, and at
    the least the command's exit status, stand in for them.
    """
    if after.get("killed_by"):
        return Verdict(False, 0, _failing(before), ["(the whole test run)"], reason=after.get("summary", ""))
    old, new = before.get("outcomes") or {}, after.get("outcomes") or {}
    if old and (new or not after.get("ok")):
        passed_before, passed_now = passed(before), passed(after)
        broke = sorted(passed_before - passed_now)
        fixed = len(passed_now - passed_before)
        still = sum(1 for t, o in new.items() if o in FAILING and t not in passed_before)
        # a test that failed before and did not run now (its file no longer collects) still fails
        failing_before = max(fixed + still, sum(1 for o in old.values() if o in FAILING))
        still, needs_fix = failing_before - fixed, any(o in FAILING for o in old.values())
        if not new and not broke:  # the run named no tests at all: a crash before collection
            still, failing_before = max(1, _failing(before)), max(1, _failing(before))
    else:
        broke = ["(the test command, which passed before)"] if before.get("ok") and not after.get("ok") else []
        lost = int(before.get("passed", 0)) - int(after.get("passed", 0))
        if lost > 0 and not broke:
            broke = [f"({lost} test(s) that passed before)"]
        fixed = max(0, _failing(before) - _failing(after))
        if not before.get("ok") and after.get("ok"):
            fixed = max(fixed, 1)
        still = 0 if after.get("ok") else max(1, _failing(after))
        failing_before, needs_fix = max(fixed, _failing(before), 0 if before.get("ok") else 1), not before.get("ok")
    if broke:
        reason = f"it broke {len(broke)} test(s) that passed before it: {', '.join(broke[:5])}"
    elif needs_fix and not preserve and not fixed:
        reason = f"it fixed none of the {failing_before} failing test(s)"
    else:
        reason = ""
    return Verdict(not reason, fixed, failing_before, broke, still, reason)
