"""Reading test runners' output: JUnit XML node ids, libtest lines, summary counts, detection."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.errors import AgentError
from agent.sandbox.checks import detect_test_command, parse_counts
from agent.sandbox.testresults import (
    JUNIT_MARK,
    junit_outcomes,
    libtest_outcomes,
    reported,
    split_junit,
)

JUNIT = """<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest">
<testcase classname="tests.test_a" name="test_ok" file="tests/test_a.py" line="1"/>
<testcase classname="tests.test_a.TestK" name="test_bad[1-x]" file="tests/test_a.py" line="5">
<failure message="assert 0">boom</failure></testcase>
<testcase classname="tests.test_a" name="test_skip" file="tests/test_a.py" line="9">
<skipped message="later"/></testcase>
<testcase classname="tests.test_b" name="test_err" file="tests/test_b.py" line="2">
<error message="fixture">x</error></testcase>
</testsuite></testsuites>"""


def test_junit_gives_pytest_node_ids_and_outcomes() -> None:
    assert junit_outcomes(JUNIT) == {
        "tests/test_a.py::test_ok": "passed",
        "tests/test_a.py::TestK::test_bad[1-x]": "failed",
        "tests/test_a.py::test_skip": "skipped",
        "tests/test_b.py::test_err": "errors",
    }


def test_cut_junit_gives_nothing_rather_than_garbage() -> None:
    assert junit_outcomes(JUNIT[:200]) == {}


def test_junit_is_split_from_the_output() -> None:
    output, xml = split_junit(f"1 passed in 0.1s\n{JUNIT_MARK}\n<xml/>")
    assert (output, xml) == ("1 passed in 0.1s", "<xml/>")
    assert split_junit("no marker") == ("no marker", "")


def test_only_pytest_is_wrapped_for_junit_and_short_tracebacks() -> None:
    assert reported(["make", "test"]) == ["make", "test"]
    assert reported(["pytest", "--junitxml=x.xml"]) == ["pytest", "--junitxml=x.xml", "--tb=short", "-rN"]
    wrapped = reported(["python3", "-m", "pytest", "-q"])
    assert wrapped[:2] == ["sh", "-c"] and wrapped[-6:] == ["python3", "-m", "pytest", "-q", "--tb=short", "-rN"]


def test_the_users_own_traceback_and_summary_options_stay() -> None:
    assert reported(["pytest", "--junitxml=x.xml", "--tb=long", "-ra"]) == ["pytest", "--junitxml=x.xml", "--tb=long",
                                                                             "-ra"]
    assert reported(["pytest", "--junitxml=x.xml", "--tb", "line"])[-3:] == ["--tb", "line", "-rN"]


def test_libtest_lines_name_each_test() -> None:
    out = ("test a::ok ... ok\ntest a::bad ... FAILED\ntest a::later ... ignored\n"
           "test src/lib.rs - add (line 3) ... ok\n")
    assert libtest_outcomes(out) == {"a::ok": "passed", "a::bad": "failed",
                                     "a::later": "skipped", "src/lib.rs - add (line 3)": "passed"}


def test_summary_counts_for_pytest_cargo_and_ctest() -> None:
    assert parse_counts("==== 3 failed, 10 passed, 2 skipped in 1.2s ====") == {
        "passed": 10, "failed": 3, "errors": 0, "skipped": 2}
    cargo = ("test result: FAILED. 4 passed; 1 failed; 2 ignored; 0 measured\n"
             "test result: ok. 3 passed; 0 failed; 0 ignored; 0 measured\n")
    assert parse_counts(cargo) == {"passed": 7, "failed": 1, "errors": 0, "skipped": 2}
    ctest = "90% tests passed, 1 tests failed out of 10\n"
    assert parse_counts(ctest)["passed"] == 9 and parse_counts(ctest)["failed"] == 1


@pytest.mark.parametrize(("files", "command"), [
    ({"Makefile": "test:\n\ttrue\n", "Cargo.toml": ""}, ["make", "test"]),
    ({"Makefile": "all: ref\ncheck: all\n\t./ref\n"}, ["make", "check"]),  # libscrypt's
    ({"Makefile": "check: all\n\t./ref\ntest: check\n"}, ["make", "test"]),
    ({"Cargo.toml": ""}, ["cargo", "test"]),
    ({"pyproject.toml": ""}, ["python3", "-m", "pytest", "-q"]),
])
def test_detects_test_command(tmp_path: Path, files: dict[str, str], command: list[str]) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    assert detect_test_command(tmp_path) == command


def test_cmake_repos_run_ctest(tmp_path: Path) -> None:
    (tmp_path / "CMakeLists.txt").write_text("")
    assert "ctest" in detect_test_command(tmp_path)[-1]


def test_no_test_command_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(AgentError, match="no test command found"):
        detect_test_command(tmp_path)
