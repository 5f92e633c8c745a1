"""Every bundled eval task is a fair test: its checks fail on the repository as the agent gets
it, and pass on a reference solution (``solutions/NAME/``: files that replace or add to the
repository, and a ``.delete`` list), judged exactly as ``agent eval`` judges a run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from agent.evals import load_tasks
from agent.evals.suite import judge, materialise
from agent.sandbox.base import Limits
from agent.sandbox.local import LocalRunner

SOLUTIONS = Path(__file__).parent / "solutions"
TASKS = {t.name: t for t in load_tasks()}


def test_the_suite_is_large_split_and_has_a_quick_subset() -> None:
    parts = [t.part for t in TASKS.values()]
    assert len(TASKS) >= 30 and parts.count("tuning") >= 12 and parts.count("heldout") >= 12
    quick = load_tasks(quick=True)
    assert {t.part for t in quick} == {"tuning", "heldout"} and len(quick) < len(TASKS) / 3
    assert sorted(p.name for p in SOLUTIONS.iterdir()) == sorted(TASKS)


def test_filler_makes_a_hundred_file_repository(tmp_path: Path) -> None:
    repo = materialise(TASKS["large-repo-shipping"], tmp_path / "repo")
    files = [p for p in repo.rglob("*.py") if ".git" not in p.parts]
    assert len(files) >= 100
    again = materialise(TASKS["large-repo-shipping"], tmp_path / "again")
    assert sorted(p.read_text() for p in files) == sorted(
        p.read_text() for p in again.rglob("*.py") if ".git" not in p.parts)


@pytest.mark.parametrize("name", sorted(TASKS))
def test_checks_fail_as_given_and_pass_on_a_reference_solution(name: str, tmp_path: Path) -> None:
    task = TASKS[name]
    if task.settings.get("strategy") == "c2rust" and shutil.which("cargo") is None:
        pytest.skip("cargo is not installed")
    runner, limits = LocalRunner(), Limits(timeout_s=300)
    tree = materialise(task, tmp_path / name)
    assert judge(task, tree, runner, limits) != ""
    solution = SOLUTIONS / name
    # copied as an edit writes (fresh times, so make sees sources newer than the unsolved build)
    shutil.copytree(solution, tree, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".delete"),
                    copy_function=shutil.copy)
    if (solution / ".delete").is_file():
        for rel in (solution / ".delete").read_text().split():
            (tree / rel).unlink()
    assert judge(task, tree, runner, limits) == ""
