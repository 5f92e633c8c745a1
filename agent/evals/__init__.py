"""The evaluation suite that gates self-refinement: small tasks, each a tiny repository, a goal
and checks that decide success, some of them hidden from the agent. ``agent eval`` runs it; the
"self" strategy runs it with the current and the proposed prompts, and puts a change to a person
only if the held-out part scores better beyond the noise (``agent.evals.compare``)."""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.errors import AgentError

TASKS = Path(__file__).parent / "tasks"
KINDS = ("tests", "command", "hidden", "symbol", "absent", "unchanged", "code_unchanged")
PARTS = ("tuning", "heldout")
SETTINGS = {"strategy", "max_stages", "test_command"}  # what a task may set for its runs


@dataclass(frozen=True)
class Task:
    name: str
    goal: str
    folder: Path  # task.toml, repo/ (what the agent sees), hidden/ (what only the checks see)
    part: str  # "tuning": prompts may be shaped on it; "heldout": only the gate's judgement
    checks: list[dict[str, Any]] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    quick: bool = False  # in the --quick subset
    filler: dict[str, int] = field(default_factory=dict)  # generated files: {"modules": N, "seed": S}

    @property
    def repo(self) -> Path:
        return self.folder / "repo"

    @property
    def hidden(self) -> Path:
        return self.folder / "hidden"


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
    if data.get("part") not in PARTS:
        raise AgentError(f"{path}: part must be one of {', '.join(PARTS)}; fix the file")
    settings = data.get("settings", {})
    if set(settings) - SETTINGS:
        raise AgentError(f"{path}: a task's [settings] may set only {', '.join(sorted(SETTINGS))}; fix the file")
    if any(c["kind"] == "hidden" for c in checks) and not (folder / "hidden").is_dir():
        raise AgentError(f"{path}: a 'hidden' check needs the folder {folder / 'hidden'}; add it")
    filler = data.get("filler", {})
    if set(filler) - {"modules", "seed"} or not all(isinstance(v, int) for v in filler.values()):
        raise AgentError(f"{path}: [filler] takes integers modules and seed only; fix the file")
    return Task(folder.name, data["goal"], folder, data["part"], checks, settings, bool(data.get("quick")), filler)


def load_tasks(
    names: list[str] | None = None, root: Path = TASKS, part: str | None = None, quick: bool = False
) -> list[Task]:
    """The named tasks (all when none), optionally only one part or the --quick subset."""
    found = {p.parent.name: p.parent for p in sorted(root.glob("*/task.toml"))}
    unknown = sorted(set(names or []) - set(found))
    if unknown:
        raise AgentError(f"no eval task '{unknown[0]}': use one of {', '.join(found)}")
    tasks = [load_task(found[n]) for n in (names or list(found))]
    return [t for t in tasks if (part is None or t.part == part) and (t.quick or not quick)]


def tasks_digest(tasks: list[Task]) -> str:
    """A short hash of the tasks' files: a cached score holds only for the same tasks."""
    digest = hashlib.sha256()
    for task in sorted(tasks, key=lambda t: t.name):
        for path in sorted(p for p in task.folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            digest.update(f"{task.name}/{path.relative_to(task.folder)}\0".encode() + path.read_bytes())
    return digest.hexdigest()[:12]


def defines(text: str, name: str) -> bool:
    """Whether ``text`` defines ``name`` (Python, Rust, JavaScript, or a C function)."""
    keyword = rf"\b(def|class|fn|struct|enum|function)\s+{re.escape(name)}\b"
    c_function = rf"^[A-Za-z_][\w \t\*]*\b{re.escape(name)}\s*\([^;]*\)\s*\{{"
    return bool(re.search(keyword, text) or re.search(c_function, text, re.M))
