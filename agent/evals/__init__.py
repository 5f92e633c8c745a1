"""The evaluation suite that gates self-refinement: small tasks, each a tiny repository, a goal
and checks that decide success. ``agent eval`` runs it; the "self" strategy runs it with the
current and the proposed prompts and puts a change to a person only if it scores no worse."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.errors import AgentError

TASKS = Path(__file__).parent / "tasks"
KINDS = ("tests", "command", "symbol", "absent", "unchanged")


@dataclass(frozen=True)
class Task:
    name: str
    goal: str
    repo: Path  # the task's files, copied into a scratch repository for each run
    checks: list[dict[str, Any]] = field(default_factory=list)


def load_task(folder: Path) -> Task:
    path = folder / "task.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise AgentError(f"{path}: cannot read the task ({err}); fix the file") from None
    checks = data.get("checks", [])
    bad = [c for c in checks if c.get("kind") not in KINDS]
    if not data.get("goal") or not checks or bad:
        raise AgentError(f"{path}: a task needs a goal and checks of kinds {', '.join(KINDS)}; fix the file")
    return Task(folder.name, data["goal"], folder / "repo", checks)


def load_tasks(names: list[str] | None = None, root: Path = TASKS) -> list[Task]:
    found = {p.parent.name: p.parent for p in sorted(root.glob("*/task.toml"))}
    unknown = sorted(set(names or []) - set(found))
    if unknown:
        raise AgentError(f"no eval task '{unknown[0]}': use one of {', '.join(found)}")
    return [load_task(found[n]) for n in (names or list(found))]


def defines(text: str, name: str) -> bool:
    """Whether ``text`` defines ``name`` (Python, Rust, JavaScript, or a C function)."""
    keyword = rf"\b(def|class|fn|struct|enum|function)\s+{re.escape(name)}\b"
    c_function = rf"^[A-Za-z_][\w \t\*]*\b{re.escape(name)}\s*\([^;]*\)\s*\{{"
    return bool(re.search(keyword, text) or re.search(c_function, text, re.M))
