"""Task loading, seeded choice, goal text and judging of bench/solve_rate.py, on tiny tasks made here."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.solve_rate import summary  # noqa: E402
from bench.solve_tasks import Verdict, judge, judged_tree, load_tasks, pick  # noqa: E402
from bench.solve_tools import retry_message, run_branch_files, run_capped  # noqa: E402

STUB = "def double(n):\n    pass\n"
TESTS = "import unittest\n\nfrom twice import double\n\n\nclass T(unittest.TestCase):\n" \
        "    def test_two(self):\n        self.assertEqual(double(2), 4)\n"


def make_task(root: Path, name: str = "twice", append: bool = True) -> Path:
    task = root / name
    (task / "docs").mkdir(parents=True)
    module = name.replace("-", "_")
    (task / f"{module}.py").write_text(STUB)
    (task / f"{module}_test.py").write_text(TESTS.replace("twice", module))
    (task / "docs" / "introduction.md").write_text("# Introduction\n\nNumbers grow.")
    (task / "docs" / "instructions.md").write_text("# Instructions\n\nReturn twice the number.")
    (task / "docs" / "hints.md").write_text("# Hints\n\nMultiply.")
    if append:
        (task / "docs" / "instructions.append.md").write_text("# Notes\n\nIntegers only.")
    return task


def test_tasks_are_folders_with_a_stub_and_its_tests(tmp_path: Path) -> None:
    make_task(tmp_path, "twice")
    make_task(tmp_path, "add-one", append=False)
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "readme.py").write_text("")
    tasks = load_tasks(tmp_path)
    assert [(t.name, t.stub, t.test) for t in tasks] == [
        ("add-one", "add_one.py", "add_one_test.py"), ("twice", "twice.py", "twice_test.py")]


def test_no_task_folder_is_one_line_naming_the_flag(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="--tasks DIR"):
        load_tasks(tmp_path / "missing")
    with pytest.raises(SystemExit, match="holds no task"):
        load_tasks(tmp_path)


def test_goal_is_the_docs_in_order_then_what_to_change(tmp_path: Path) -> None:
    make_task(tmp_path)
    task = load_tasks(tmp_path)[0]
    goal = task.goal()
    assert goal.index("Numbers grow.") < goal.index("Return twice") < goal.index("Integers only.")
    assert "Multiply." not in goal  # hints stay out, as in Aider's benchmark
    assert goal.endswith("Use the instructions above to change twice.py; keep the names the tests call; "
                         "standard library only.")


def test_a_smaller_n_is_a_prefix_of_a_larger_one_with_the_same_seed(tmp_path: Path) -> None:
    for i in range(12):
        make_task(tmp_path, f"task-{i:02d}")
    tasks = load_tasks(tmp_path)
    ten, five = pick(tasks, 10, seed=1), pick(tasks, 5, seed=1)
    assert ten[:5] == five
    assert [t.name for t in ten] != [t.name for t in tasks[:10]]  # shuffled, not the sorted order
    assert pick(tasks, 10, seed=2) != ten


def test_judged_tree_restores_the_original_tests_and_keeps_the_stub(tmp_path: Path) -> None:
    make_task(tmp_path)
    task = load_tasks(tmp_path)[0]
    final = {**task.files(), "twice.py": b"def double(n):\n    return 2 * n\n",
             "twice_test.py": b"def test_nothing():\n    pass\n", "helper.py": b"X = 1\n"}
    judged = judged_tree(task, final)
    assert judged["twice_test.py"] == TESTS.encode()
    assert judged["twice.py"] == b"def double(n):\n    return 2 * n\n"
    assert judged["helper.py"] == b"X = 1\n"


@pytest.mark.docker
def test_judge_passes_a_solution_and_not_edited_tests(tmp_path: Path) -> None:
    make_task(tmp_path / "tasks")
    task = load_tasks(tmp_path / "tasks")[0]
    agent = [str(Path(sys.executable).parent / "agent")]
    solved = {**task.files(), "twice.py": b"def double(n):\n    return 2 * n\n"}
    cheated = {**task.files(), "twice_test.py": b"def test_nothing():\n    pass\n"}
    assert judge(agent, task, solved, tmp_path / "a", {}).passed
    verdict = judge(agent, task, cheated, tmp_path / "b", {})
    assert not verdict.passed and "1 failed" in verdict.output


def test_agent_result_is_the_run_branch_without_its_signature_record(tmp_path: Path) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=tmp_path, check=True,
                       capture_output=True)

    (tmp_path / "twice.py").write_text(STUB)
    git("init", "-q", "-b", "main")
    git("add", "-A")
    git("commit", "-q", "-m", "base")
    assert run_branch_files(tmp_path) == (None, {"twice.py": STUB.encode()})
    git("checkout", "-q", "-b", "agent/run1")
    (tmp_path / "twice.py").write_text("def double(n):\n    return 2 * n\n")
    (tmp_path / ".agent-approvals" / "run1").mkdir(parents=True)
    (tmp_path / ".agent-approvals" / "run1" / "meta.json").write_text("{}")
    git("add", "-A")
    git("commit", "-q", "-m", "stage 1")
    git("checkout", "-q", "main")
    assert run_branch_files(tmp_path) == ("agent/run1", {"twice.py": b"def double(n):\n    return 2 * n\n"})


def test_retry_message_keeps_the_first_fifty_lines_and_names_the_stub(tmp_path: Path) -> None:
    make_task(tmp_path)
    task = load_tasks(tmp_path)[0]
    message = retry_message(task, Verdict(1, "\n".join(f"line {i}" for i in range(80))))
    assert "line 49" in message and "line 50" not in message
    assert message.endswith("Fix the code in twice.py to resolve the test failures above.")


def test_ratios_are_agent_over_aider_and_missing_when_aider_solved_none() -> None:
    rows = [{"task": "a", "agent": {"solved": True, "seconds": 30.0}, "aider": {"solved": True, "seconds": 20.0}},
            {"task": "b", "agent": {"solved": True, "seconds": 50.0}, "aider": {"solved": False, "seconds": 60.0}}]
    result = summary(rows, {})
    assert result["agent"]["solve_rate"] == 1.0 and result["aider"]["solve_rate"] == 0.5
    assert result["solve_rate_ratio"] == 2.0 and result["seconds_ratio"] == 1.0
    assert summary(rows[1:2], {})["solve_rate_ratio"] is None


def test_a_tool_past_the_cap_is_stopped_with_the_processes_it_started(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    script = f"sleep 60 & echo $! > {pid_file}; echo started; wait"
    start = time.monotonic()
    done = run_capped(["sh", "-c", script], tmp_path, {"PATH": "/usr/bin:/bin"}, 1.0, tmp_path / "log", grace=0.5)
    assert done.timed_out and "started" in done.output
    assert time.monotonic() - start < 10
    child = int(pid_file.read_text())
    time.sleep(0.2)
    assert not Path(f"/proc/{child}").exists() or "Z" in Path(f"/proc/{child}/stat").read_text().split()[2]
