"""Reading what a test runner printed: per-test outcomes (JUnit XML, libtest lines) and counts.

Per-test outcomes let a failing test be rerun alone to tell a flaky test from a broken one;
the summary-line counts are the fallback for runners that name no tests (make test, ctest).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

JUNIT_MARK = "@@agent-junit-xml@@"
PASSED, FAILED, ERROR, SKIPPED = "passed", "failed", "errors", "skipped"

# A shell wrapper that makes pytest write JUnit XML to a private file and append it to the
# output after a marker, so it reaches us through any runner without touching the repo copy.
_JUNIT_WRAPPER = (
    'f="${TMPDIR:-/tmp}/.agent-junit-$$.xml"; "$@" --junitxml="$f" -o junit_family=xunit1; '
    's=$?; if [ -f "$f" ]; then printf "\\n%s\\n" "' + JUNIT_MARK + '"; cat "$f"; rm -f "$f"; fi; '
    "exit $s"
)


def is_pytest(command: list[str]) -> bool:
    return any(part.rsplit("/", 1)[-1] in ("pytest", "py.test") for part in command[:3])


def is_cargo_test(command: list[str]) -> bool:
    return command[:2] == ["cargo", "test"]


def reported(command: list[str]) -> list[str]:
    """``command`` as it is run: pytest made to report JUnit XML (per-test outcomes) unless it
    does already, and to print short tracebacks and no summary list unless told otherwise. Of
    a failure, a short traceback keeps the failing test's line (the call and the expected
    value) and the error; a long one prints the source of every frame, so the 60 lines kept for
    the model's repair and the review held the model's own code back and one failure's error,
    under a list of the failing tests' names. Other runners run as they are."""
    if not is_pytest(command):
        return command
    for given, default in (("--tb", "--tb=short"), ("-r", "-rN")):  # "--tb=long", "--tb long", "-ra"
        if not any(a.startswith(given) for a in command):
            command = [*command, default]
    if any(a.startswith("--junitxml") for a in command):
        return command
    return ["sh", "-c", _JUNIT_WRAPPER, "sh", *command]


def split_junit(output: str) -> tuple[str, str]:
    """(what the runner printed, the JUnit XML appended after the marker or '')."""
    head, sep, xml = output.rpartition("\n" + JUNIT_MARK + "\n")
    return (head, xml) if sep else (output, "")


def junit_outcomes(xml: str) -> dict[str, str]:
    """Test id -> outcome from pytest's xunit1 JUnit XML; {} when it is missing or cut."""
    try:
        root = ET.fromstring(xml)
    except ET.ParseError:
        return {}
    outcomes: dict[str, str] = {}
    for case in root.iter("testcase"):
        outcome = PASSED
        for child in case:
            if child.tag == "failure":
                outcome = FAILED
            elif child.tag == "error":
                outcome = ERROR
            elif child.tag == "skipped" and outcome == PASSED:
                outcome = SKIPPED
        outcomes[_node_id(case.attrib)] = outcome
    return outcomes


def _node_id(attrib: dict[str, str]) -> str:
    """pytest's node id (``tests/test_x.py::Class::name``) from xunit1 attributes."""
    file, classname, name = attrib.get("file", ""), attrib.get("classname", ""), attrib["name"]
    if not file:
        return f"{classname}::{name}" if classname else name
    module = file.removesuffix(".py").replace("/", ".")
    inner = classname[len(module) + 1:] if classname.startswith(module + ".") else ""
    return "::".join([file, *(inner.split(".") if inner else []), name])


_LIBTEST = re.compile(r"^test (.+?) \.\.\. (ok|FAILED|ignored)\s*$")


def libtest_outcomes(output: str) -> dict[str, str]:
    """Test name -> outcome from cargo test's libtest lines (``test a::b ... ok``)."""
    kinds = {"ok": PASSED, "FAILED": FAILED, "ignored": SKIPPED}
    outcomes: dict[str, str] = {}
    for line in output.splitlines():
        match = _LIBTEST.match(line)
        if match:
            outcomes[match.group(1)] = kinds[match.group(2)]
    return outcomes


_COUNT = re.compile(r"(\d+) (passed|failed|errors?|skipped)")
_CARGO = re.compile(r"test result: \w+\. (\d+) passed; (\d+) failed; (\d+) ignored")
_CTEST = re.compile(r"(\d+)% tests passed, (\d+) tests failed out of (\d+)")


def parse_counts(output: str) -> dict[str, int]:
    """Read pass/fail counts from the summary lines test runners print."""
    counts = {PASSED: 0, FAILED: 0, ERROR: 0, SKIPPED: 0}
    for line in output.splitlines()[-60:]:
        stripped = line.strip()
        cargo = _CARGO.match(stripped)
        ctest = _CTEST.search(stripped)
        if cargo:  # one line per test binary: add them up
            counts[PASSED] += int(cargo.group(1))
            counts[FAILED] += int(cargo.group(2))
            counts[SKIPPED] += int(cargo.group(3))
        elif ctest:
            failed, total = int(ctest.group(2)), int(ctest.group(3))
            counts[PASSED], counts[FAILED] = total - failed, failed
        elif re.search(r"(passed|failed|error)", line) and ("==" in line or stripped[:1].isdigit()):
            for n, kind in _COUNT.findall(line):
                counts[ERROR if kind.startswith("error") else kind] = int(n)
    return counts


def count_outcomes(outcomes: dict[str, str]) -> dict[str, int]:
    counts = {PASSED: 0, FAILED: 0, ERROR: 0, SKIPPED: 0}
    for outcome in outcomes.values():
        counts[outcome] += 1
    return counts
