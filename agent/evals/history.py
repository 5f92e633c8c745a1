"""Where evaluation results are kept: every result appended to a history file (so two prompt
sets scored on different days can still be compared), and a cache of single runs keyed by what
decides them (so the self-refinement gate never runs the same eval run twice in a run)."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from dataclasses import asdict
from pathlib import Path

from agent.errors import AgentError
from agent.evals.scores import SuiteScore, TaskRun
from agent.home import data_home
from agent.rundir import write_atomic


def history_path() -> Path:
    return data_home() / "evals" / "history.jsonl"


def append(score: SuiteScore, path: Path | None = None) -> SuiteScore:
    """Give ``score`` an id and a time, and append it to the history file."""
    path = path or history_path()
    score.id = score.id or uuid.uuid4().hex[:8]
    score.when = score.when or time.strftime("%Y-%m-%dT%H:%M:%S%z")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        out.write(json.dumps(score.as_dict()) + "\n")
    return score


def find(ref: str, path: Path | None = None) -> SuiteScore:
    """A result by its id, or the newest result of the prompts whose hash starts with ``ref``."""
    path = path or history_path()
    records = []
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # a line cut short by a killed process is skipped, the rest still counts
    by_id = [r for r in records if r.get("id") == ref]
    by_prompts = [r for r in records if ref and r.get("prompts", "").startswith(ref)]
    match = by_id or by_prompts
    if not match:
        raise AgentError(f"no eval result '{ref}' in {path}: use an id or prompts hash that 'agent eval' printed")
    return SuiteScore.from_dict(match[-1])


class RunCache:
    """Each eval run's result kept as a file named by a hash of what decides it (model, prompts,
    tasks, sampling, task and repeat), so a resumed gate runs only what it had not run."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @staticmethod
    def key(model: str, prompts: str, tasks_digest: str, seed: int, task: str, k: int) -> str:
        text = json.dumps([model, prompts, tasks_digest, seed, task, k])
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def get(self, key: str) -> TaskRun | None:
        path = self.folder / f"{key}.json"
        if not path.is_file():
            return None
        return TaskRun(**json.loads(path.read_text(encoding="utf-8")))

    def put(self, key: str, run: TaskRun) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        write_atomic(self.folder / f"{key}.json", json.dumps(asdict(run)))
