"""Detecting a repository's test command and running it as a check.

The graph's verify and check nodes call ``run_checks`` only; which runner executes the
command (local subprocess, Docker, bubblewrap) is the caller's choice of ``Runner``
(see ``agent.sandbox.factory.open_runner``). Failing tests are rerun once: a test that
passes the second time is reported as flaky, not failed.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from agent.errors import AgentError
from agent.sandbox.base import CommandResult, Limits, Runner, TestReport
from agent.sandbox.testresults import (
    ERROR,
    FAILED,
    PASSED,
    count_outcomes,
    is_cargo_test,
    is_pytest,
    junit_outcomes,
    libtest_outcomes,
    parse_counts,
    reported,
    split_junit,
)

__all__ = ["detect_test_command", "check_command_exists", "parse_counts", "run_checks"]
CTEST = "cmake -S . -B build -DCMAKE_BUILD_TYPE=Debug && cmake --build build && cd build && ctest"


def detect_test_command(repo: Path) -> list[str]:
    """Guess the test command from the files a repository has."""
    names = ("Makefile", "makefile", "GNUmakefile")
    makefile = next((repo / n for n in names if (repo / n).is_file()), None)
    targets = re.findall(r"^(test|check)\s*:", makefile.read_text(errors="replace"), re.M) if makefile else []
    if targets:
        return ["make", "test" if "test" in targets else "check"]
    if (repo / "Cargo.toml").is_file():
        return ["cargo", "test"]
    if (repo / "CMakeLists.txt").is_file():
        return ["sh", "-c", CTEST + " --output-on-failure"]
    py_markers = ("pyproject.toml", "setup.py", "setup.cfg", "pytest.ini", "tox.ini")
    if any((repo / m).is_file() for m in py_markers) or (repo / "tests").is_dir():
        return ["python3", "-m", "pytest", "-q"]
    raise AgentError(
        f"no test command found in {repo}: add a 'test' target to its Makefile, "
        "or set [test] command in .agent.toml"
    )


def check_command_exists(command: list[str]) -> None:
    """For the unsandboxed runner only: the sandbox images carry their own toolchains."""
    if shutil.which(command[0]) is None:
        raise AgentError(
            f"test command '{command[0]}' was not found on PATH: install it, "
            "or set [test] command in .agent.toml"
        )


def run_checks(workdir: Path, command: list[str], runner: Runner, limits: Limits) -> TestReport:
    """Run the test command over ``workdir``, rerun failing tests once, and judge the outcome.

    ``passed`` counts tests that passed, flaky ones included; ``failed``/``errors`` count
    those that failed on the rerun too.
    """
    result = runner.run(workdir, reported(command), limits)
    output, outcomes = _outcomes(command, result)
    counts = count_outcomes(outcomes) if outcomes else parse_counts(output)
    failing = [t for t, o in outcomes.items() if o in (FAILED, ERROR)]
    flaky: list[str] = []
    ok = result.exit_code == 0 and result.killed_by is None
    if not ok and result.killed_by is None:
        rerun_cmd = _rerun_command(command, outcomes, failing, result)
        if rerun_cmd is not None:
            again = runner.run(workdir, reported(rerun_cmd), limits)
            _, again_outcomes = _outcomes(rerun_cmd, again)
            if failing:
                flaky = [t for t in failing if again_outcomes.get(t) == PASSED]
                failing = [t for t in failing if t not in flaky]
                for test in flaky:
                    counts[outcomes[test]] -= 1
                    counts[PASSED] += 1
                    outcomes[test] = PASSED
                ok = not failing and again.exit_code == 0 and again.killed_by is None
            elif again.exit_code == 0 and again.killed_by is None:
                flaky, ok = [" ".join(command)], True
    return TestReport(
        command=command, ok=ok, flaky=flaky, failed_tests=failing, outcomes=outcomes,
        output_tail="\n".join(output.splitlines()[-60:]), duration_s=result.duration_s,
        reason="" if ok else _reason(command, result, counts), killed_by=result.killed_by,
        **counts,
    )


def _outcomes(command: list[str], result: CommandResult) -> tuple[str, dict[str, str]]:
    """The runner's own output and per-test outcomes, where the runner names its tests."""
    if is_pytest(command):
        output, xml = split_junit(result.output)
        return output, junit_outcomes(xml) if xml else {}
    if is_cargo_test(command):
        return result.output, libtest_outcomes(result.output)
    return result.output, {}


def _rerun_command(command: list[str], outcomes: dict[str, str], failing: list[str],
                   result: CommandResult) -> list[str] | None:
    """What reruns only the failing tests; the whole command when the runner names none."""
    if failing and is_pytest(command):
        end = next(i for i, a in enumerate(command) if "pytest" in a) + 1
        return [*command[:end], "-q", "-p", "no:cacheprovider", *failing]
    if failing and is_cargo_test(command):
        head = command if "--" in command else [*command, "--"]
        return [*head, "--exact", *failing]
    if outcomes or (is_pytest(command) and result.exit_code == 5):
        return None  # every named test passed, or none ran: a rerun would tell nothing
    return command


def _reason(command: list[str], result: CommandResult, counts: dict[str, int]) -> str:
    """One line on why the check is not ok."""
    if result.killed_by == "timeout":
        return f"stopped by the timeout limit after {result.duration_s:.0f}s"
    if result.killed_by:
        return f"stopped by the {result.killed_by} limit (status {result.exit_code})"
    if is_pytest(command) and result.exit_code == 5:
        return "no tests were collected"
    if counts[FAILED] or counts[ERROR]:
        return f"{counts[FAILED]} failed, {counts[ERROR]} errors"
    return f"'{' '.join(command)}' exited with status {result.exit_code}"
