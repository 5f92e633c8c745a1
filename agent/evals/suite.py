"""Running eval tasks for real: each in a scratch repository, through the whole graph with an
auto-approving reviewer (signed with a throwaway home's key), then judged by its checks."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.config import Settings
from agent.errors import AgentError
from agent.evals import Task, defines
from agent.home import models_dir
from agent.llm.base import ChatModel
from agent.prompts import prompts_from
from agent.sandbox.base import Limits, Runner
from agent.sandbox.checks import detect_test_command, run_checks
from agent.vcs import git

APPROVE = {"decision": "approve", "approver": "agent eval", "reason": ""}


@dataclass
class TaskScore:
    task: str
    runs: list[bool] = field(default_factory=list)
    why: list[str] = field(default_factory=list)  # the first failing check of each failed run

    @property
    def score(self) -> float:
        return sum(self.runs) / len(self.runs) if self.runs else 0.0


@dataclass
class SuiteScore:
    model: str
    prompts: str
    tasks: list[TaskScore]

    @property
    def total(self) -> float:
        return sum(t.score for t in self.tasks)

    def as_dict(self) -> dict[str, Any]:
        return {"model": self.model, "prompts": self.prompts, "total": self.total, "max": len(self.tasks),
                "tasks": {t.task: {"score": t.score, "runs": t.runs, "why": t.why} for t in self.tasks}}


@contextmanager
def throwaway_home() -> Iterator[None]:
    """A fresh AGENT_HOME: its new key is the local person the shipped policy trusts."""
    old = {k: os.environ.get(k) for k in ("AGENT_HOME", "AGENT_MODELS_DIR")}
    models = str(models_dir())
    with tempfile.TemporaryDirectory(prefix="agent-eval-home-") as home:
        os.environ.update(AGENT_HOME=home, AGENT_MODELS_DIR=models)
        try:
            yield
        finally:
            for key, value in old.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def _git(repo: Path, *args: str) -> str:
    return git.out(repo, *args).strip()


def _scratch_repo(task: Task, dest: Path) -> Path:
    shutil.copytree(task.repo, dest, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    _git(dest, "init", "-q", "-b", "main")
    _git(dest, "add", "-A")
    _git(dest, *git.IDENTITY, "commit", "-q", "-m", "task")
    return dest


def judge(task: Task, tree: Path, runner: Runner, limits: Limits) -> str:
    """The first check the result fails, or "" when every check passes."""
    for check in task.checks:
        kind, rel = check["kind"], check.get("file", "")
        text = (tree / rel).read_text(encoding="utf-8", errors="replace") if rel and (tree / rel).is_file() else ""
        if kind in ("tests", "command"):
            command = check.get("run") or detect_test_command(tree)
            command = ["sh", "-c", command] if isinstance(command, str) else command
            report = run_checks(tree, command, runner, limits)
            if not report.ok:
                return f"{kind} failed: {report.summary()}"
        elif kind == "symbol" and not defines(text, check["name"]):
            return f"{check['name']} is not defined in {rel}"
        elif kind == "absent" and defines(text, check["name"]):
            return f"{check['name']} is still defined in {rel}"
        elif kind == "unchanged" and text != (task.repo / rel).read_text(encoding="utf-8", errors="replace"):
            return f"{rel} was changed"
    return ""


def run_task(task: Task, model: ChatModel, settings: Settings, runner: Runner, seed: int) -> str:
    """One run of ``task``; returns why it failed, or "" on success."""
    from agent.runs.session import Terminal, start

    term = Terminal(show=lambda line: None, busy=lambda what: nullcontext(), reviewer=lambda payload: APPROVE)
    overrides = {**settings.model_dump(), "seed": seed, "test_command": None, "strategy": "general"}
    with tempfile.TemporaryDirectory(prefix=f"agent-eval-{task.name}-") as tmp, throwaway_home():
        repo = _scratch_repo(task, Path(tmp) / task.name)
        try:
            files, state = start(repo, task.goal, term, overrides, model=model, runner=runner)
        except AgentError as err:
            return f"the run stopped: {err}"
        if not any(o["status"] == "applied" for o in state.get("outcomes", [])):
            return "no stage was applied"
        _git(repo, "checkout", "-q", "--detach", f"agent/{files.run_id}")
        return judge(task, repo, runner, Limits(timeout_s=settings.test_timeout))


def evaluate(
    tasks: list[Task], model: ChatModel, settings: Settings, runner: Runner,
    prompts: Path | None = None, repeat: int = 1,
) -> SuiteScore:
    """Score ``tasks`` with ``prompts`` (None: the bundled ones); run k of a task uses seed+k."""
    scores = []
    with prompts_from(prompts):
        for task in tasks:
            score = TaskScore(task.name)
            for k in range(repeat):
                why = run_task(task, model, settings, runner, settings.seed + k)
                score.runs.append(not why)
                if why:
                    score.why.append(why)
            scores.append(score)
    return SuiteScore(model.name, str(prompts) if prompts else "bundled", scores)
