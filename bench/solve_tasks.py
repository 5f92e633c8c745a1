"""Exercism-style tasks for the solve-rate benchmark: loading, seeded choice, goal text, judging.

A task is a folder holding a stub ``NAME.py``, its tests ``NAME_test.py`` (sometimes a helper
module they import) and ``docs/*.md``. Both tools get the same goal, and the result is judged the
same way for both: in a fresh copy of the final files with every original file except the stub
put back, so a tool that edits the tests gains nothing.
"""

from __future__ import annotations

import random
import subprocess
from dataclasses import dataclass
from pathlib import Path

DOCS = ("introduction.md", "instructions.md", "instructions.append.md")  # hints.md is left out, as Aider does
JUDGE_SECONDS = 60  # the exercises' tests take well under a second; this only stops endless loops
SKIP_DIRS = {".git", ".agent", "__pycache__", ".pytest_cache"}


@dataclass(frozen=True)
class Task:
    name: str  # the folder's name, e.g. "bank-account"
    path: Path
    stub: str  # "bank_account.py"
    test: str  # "bank_account_test.py"

    def files(self) -> dict[str, bytes]:
        """Every original file of the task by relative path (docs included)."""
        return read_tree(self.path)

    def goal(self) -> str:
        """The docs' text plus the one line that says what to change: the same for both tools."""
        parts = [(self.path / "docs" / doc).read_text().strip() for doc in DOCS if (self.path / "docs" / doc).is_file()]
        parts.append(
            f"Use the instructions above to change {self.stub}; keep the names the tests call; "
            "standard library only."
        )
        return "\n\n".join(parts)


def find_task(path: Path) -> Task | None:
    """The task in ``path``, or None when it holds no ``NAME.py`` next to a ``NAME_test.py``."""
    for test in sorted(path.glob("*_test.py")):
        stub = test.name.removesuffix("_test.py") + ".py"
        if (path / stub).is_file():
            return Task(path.name, path, stub, test.name)
    return None


def load_tasks(root: Path) -> list[Task]:
    """Every task under ``root``, sorted by name so a seed picks the same tasks on any machine."""
    if not root.is_dir():
        raise SystemExit(f"no task folder {root}: pass --tasks DIR (a folder of Exercism-style tasks)")
    tasks = [t for d in sorted(root.iterdir()) if d.is_dir() and (t := find_task(d)) is not None]
    if not tasks:
        raise SystemExit(f"{root} holds no task (a folder with NAME.py and NAME_test.py): pass another --tasks DIR")
    return tasks


def pick(tasks: list[Task], n: int, seed: int) -> list[Task]:
    """The first ``n`` of a shuffle seeded by ``seed``: a smaller ``n`` is a prefix of a larger one."""
    order = list(tasks)
    random.Random(seed).shuffle(order)
    return order[:n]


def read_tree(root: Path) -> dict[str, bytes]:
    """Files under ``root`` by relative path, without version-control or cache folders."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not SKIP_DIRS.intersection(p.relative_to(root).parts)
    }


def write_tree(files: dict[str, bytes], dest: Path) -> Path:
    """Write ``files`` under ``dest`` with ordinary modes (the shared task folders are read-only)."""
    for rel, data in files.items():
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return dest


def judged_tree(task: Task, final: dict[str, bytes]) -> dict[str, bytes]:
    """The tool's final files with every original file but the stub restored."""
    original = task.files()
    return {**final, **{rel: data for rel, data in original.items() if rel != task.stub}}


@dataclass(frozen=True)
class Verdict:
    status: int  # pytest's exit status, or the sandbox's (124 timeout, 125 sandbox error, ...)
    output: str

    @property
    def passed(self) -> bool:
        return self.status == 0


def judge(agent_cmd: list[str], task: Task, final: dict[str, bytes], dest: Path, env: dict[str, str]) -> Verdict:
    """Run ``python3 -m pytest`` on the judged tree in agent's sandbox (model-written code never
    runs on this host) and say whether it passed."""
    write_tree(judged_tree(task, final), dest)
    command = [*agent_cmd, "sandbox", "run", str(dest), "--timeout", str(JUDGE_SECONDS), "--",
               "python3", "-m", "pytest", "-q", "--tb=short", "-p", "no:cacheprovider"]
    proc = subprocess.run(command, capture_output=True, text=True, errors="replace", env=env)
    return Verdict(proc.returncode, proc.stdout + proc.stderr)
