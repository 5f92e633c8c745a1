"""The eval suite: bundled tasks load, checks tell a solved task from an unsolved one, and the
command refuses bad input with one line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from agent.cli import main
from agent.errors import AgentError
from agent.evals import defines, load_tasks
from agent.evals.suite import judge
from agent.sandbox.base import Limits
from agent.sandbox.local import LocalRunner


def test_bundled_tasks_load_and_an_unknown_one_is_refused() -> None:
    tasks = {t.name: t for t in load_tasks()}
    assert {"negative-quantity", "rename-function"} <= set(tasks)
    assert all(t.goal and t.checks and (t.repo / "tests").is_dir() for t in tasks.values())
    with pytest.raises(AgentError, match="no eval task 'nope': use one of"):
        load_tasks(["nope"])


def test_defines_finds_definitions_not_calls() -> None:
    assert defines("def area(w, h):\n", "area") and not defines("x = area(2, 3)\n", "area")
    assert defines("long gcd(long a, long b) {\n", "gcd") and not defines("long gcd(long a, long b);\n", "gcd")
    assert defines("pub extern \"C\" fn gcd(a: i64) -> i64 {", "gcd") and not defines("def rect_area():", "area")


def test_checks_tell_a_solved_task_from_an_unsolved_one(tmp_path: Path) -> None:
    [task] = load_tasks(["negative-quantity"])
    tree = tmp_path / "tree"
    shutil.copytree(task.repo, tree)
    runner, limits = LocalRunner(), Limits(timeout_s=60)
    assert judge(task, tree, runner, limits).startswith("command failed")
    stock = tree / "stock.py"
    add = "    stock[name] = stock.get(name, 0) + quantity\n"
    stock.write_text(stock.read_text().replace(add, "    if quantity < 0:\n        raise ValueError(name)\n" + add))
    assert judge(task, tree, runner, limits) == ""
    (tree / "tests" / "test_stock.py").write_text("def test_nothing() -> None:\n    pass\n")
    assert judge(task, tree, runner, limits) == "tests/test_stock.py was changed"


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as ex:
        main(argv)
    return int(ex.value.code or 0), capsys.readouterr().err


def test_eval_command_refuses_bad_input_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run_cli(["eval", "--prompts", str(tmp_path / "nowhere")], capsys)
    assert code == 1 and "is not a folder" in err and err.count("\n") == 1
    code, err = run_cli(["eval", "--task", "nope"], capsys)
    assert code == 1 and "no eval task 'nope'" in err
