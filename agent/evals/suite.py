"""Running eval tasks for real: each in a scratch repository, through the whole graph with an
auto-approving reviewer (signed with a throwaway home's key), then judged by its checks,
including tests the agent never saw. Repeat k of a task samples with its own seed and
temperature, the same for every task and every prompt set, so results pair up."""

from __future__ import annotations

import os
import shlex
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from agent.config import Settings
from agent.errors import AgentError
from agent.evals import Task, defines, tasks_digest
from agent.evals.filler import code_unchanged, write_filler
from agent.evals.history import RunCache
from agent.evals.scores import SuiteScore, TaskRun, TaskScore
from agent.home import models_dir
from agent.llm.base import ChatModel, Message
from agent.prompts import prompts_from, prompts_hash
from agent.sandbox.base import Limits, Runner
from agent.sandbox.checks import detect_test_command, run_checks
from agent.vcs import git

APPROVE = {"decision": "approve", "approver": "agent eval", "reason": ""}
TEMPERATURES = (0.3, 0.6, 0.9)  # repeats after the first cycle through these


def sampling(k: int, seed: int) -> tuple[int, float]:
    """Seed and temperature of repeat ``k``: the first is greedy (as a default run), the others sample."""
    return seed + k, 0.0 if k == 0 else TEMPERATURES[(k - 1) % len(TEMPERATURES)]


class CountingModel:
    """The run's model, counting the calls the run makes."""

    def __init__(self, inner: ChatModel) -> None:
        self.inner = inner
        self.name = inner.name
        self.context_length = inner.context_length
        self.calls = 0

    def complete(self, messages: list[Message], **kwargs: Any) -> str:
        self.calls += 1
        return self.inner.complete(messages, **kwargs)

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)


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


def materialise(task: Task, dest: Path) -> Path:
    """The task's repository as a fresh git repository at ``dest`` (generated files included)."""
    shutil.copytree(task.repo, dest, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    if task.filler:
        write_filler(dest, task.filler["modules"], task.filler.get("seed", 0))
    _git(dest, "init", "-q", "-b", "main")
    _git(dest, "add", "-A")
    _git(dest, *git.IDENTITY, "commit", "-q", "-m", "task")
    return dest


def _command(check: dict[str, Any], tree: Path) -> list[str]:
    command = check.get("run") or detect_test_command(tree)
    return ["sh", "-c", command] if isinstance(command, str) else list(command)


def judge(task: Task, tree: Path, runner: Runner, limits: Limits) -> str:
    """The first check the result fails, or "" when every check passes. ``tree`` is not changed:
    hidden tests run on a copy of it."""
    for check in task.checks:
        kind, rel = check["kind"], check.get("file", "")
        text = (tree / rel).read_text(encoding="utf-8", errors="replace") if rel and (tree / rel).is_file() else ""
        if kind in ("tests", "command"):
            report = run_checks(tree, _command(check, tree), runner, limits)
            if not report.ok:
                return f"{kind} failed: {report.summary()}"
        elif kind == "hidden":
            with tempfile.TemporaryDirectory(prefix="agent-eval-hidden-") as tmp:
                copy = Path(tmp) / "tree"
                shutil.copytree(tree, copy, ignore=shutil.ignore_patterns(".git"))
                shutil.copytree(task.hidden, copy, dirs_exist_ok=True)
                report = run_checks(copy, _command(check, copy), runner, limits)
            if not report.ok:
                return f"hidden tests failed: {report.summary()}"
        elif kind == "symbol" and not defines(text, check["name"]):
            return f"{check['name']} is not defined in {rel}"
        elif kind == "absent" and defines(text, check["name"]):
            return f"{check['name']} is still defined in {rel}"
        elif kind == "unchanged" and not _same(task, tree, rel):
            return f"{rel} was changed"
        elif kind == "code_unchanged" and not code_unchanged((task.repo / rel).read_text(encoding="utf-8"), text):
            return f"the code of {rel} was changed, not only its docstrings and comments"
    return ""


def _same(task: Task, tree: Path, rel: str) -> bool:
    before, after = task.repo / rel, tree / rel
    return after.is_file() and before.read_bytes() == after.read_bytes()


def run_settings(task: Task, settings: Settings, seed: int, temperature: float) -> dict[str, Any]:
    """The nested run's settings: the eval's, with this repeat's sampling and the task's own."""
    own = dict(task.settings)
    if isinstance(own.get("test_command"), str):
        own["test_command"] = shlex.split(own["test_command"])
    return {**settings.model_dump(), "seed": seed, "temperature": temperature, "test_command": None,
            "strategy": "general", **own}


def run_task(task: Task, model: ChatModel, settings: Settings, runner: Runner, k: int) -> TaskRun:
    """Repeat ``k`` of ``task``: a whole run, then its checks. Ctrl-C in the nested run stops
    the caller (an outer self-refinement run pauses itself, not the scratch run)."""
    from agent.runs.driver import Paused
    from agent.runs.session import Terminal, start

    seed, temperature = sampling(k, settings.seed)
    counted = CountingModel(model)
    term = Terminal(show=lambda line: None, busy=lambda what: nullcontext(), reviewer=lambda payload: APPROVE)
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"agent-eval-{task.name}-") as tmp, throwaway_home():
        repo = materialise(task, Path(tmp) / task.name)
        why = ""
        try:
            files, state = start(repo, task.goal, term, run_settings(task, settings, seed, temperature),
                                 model=counted, runner=runner)
        except Paused:
            raise KeyboardInterrupt from None
        except AgentError as err:
            why = f"the run stopped: {err}"
        else:
            outcomes = state.get("outcomes", [])
            if not any(o["status"] == "applied" for o in outcomes):
                first = outcomes[0] if outcomes else None
                why = "no stage was applied" + (f": stage {first['stage']} {first['status']}: {first['reason']}"[:300]
                                                 if first else "")
            else:
                _git(repo, "checkout", "-q", "--detach", f"agent/{files.run_id}")
                why = judge(task, repo, runner, Limits(timeout_s=settings.test_timeout))
    return TaskRun(not why, why, round(time.monotonic() - began, 1), counted.calls, seed, temperature)


def evaluate(
    tasks: list[Task], model: ChatModel, settings: Settings, runner: Runner,
    prompts: Path | None = None, repeat: int = 1,
    on_run: Callable[[Task, TaskRun], None] = lambda task, run: None,
) -> SuiteScore:
    """Score ``tasks`` with ``prompts`` (None: the bundled ones), ``repeat`` runs each."""
    scores = []
    with prompts_from(prompts):
        for task in tasks:
            score = TaskScore(task.name, task.part)
            for k in range(repeat):
                score.runs.append(run_task(task, model, settings, runner, k))
                on_run(task, score.runs[-1])
            scores.append(score)
    return SuiteScore(model.name, prompts_hash(prompts), scores, repeat, tasks_digest(tasks))


def evaluate_side_by_side(
    tasks: list[Task], model: ChatModel, settings: Settings, runner: Runner,
    folders: tuple[Path, Path], repeat: int, cache: RunCache,
) -> tuple[SuiteScore, SuiteScore, bool]:
    """Two prompt sets scored in one pass, task by task and repeat by repeat, each pair run in
    turn first-then-second and second-then-first, and whether any run was measured (not cached).
    The run after its pair's first finds the model's prefix cache warm and the machine as it was,
    so scoring one set after the other gave the second a head start (2026-12-06, the 1.5B: the
    same 32 tasks took 3038 s for the set scored first, 1593 s for the one after); alternating
    puts that on both sets alike. Each run is cached as it ends, so a resumed gate runs only the
    rest."""
    digest = tasks_digest(tasks)
    hashes = [prompts_hash(folder) for folder in folders]
    scores: list[list[TaskScore]] = [[TaskScore(t.name, t.part) for t in tasks] for _ in folders]
    measured, pair = False, 0
    for i, task in enumerate(tasks):
        for k in range(repeat):
            for side in (0, 1) if pair % 2 == 0 else (1, 0):
                key = RunCache.key(model.name, hashes[side], digest, settings.seed, task.name, k)
                run = cache.get(key)
                if run is None:
                    with prompts_from(folders[side]):
                        run = run_task(task, model, settings, runner, k)
                    cache.put(key, run)
                    measured = True
                scores[side][i].runs.append(run)
            pair += 1
    first, second = (SuiteScore(model.name, h, s, repeat, digest) for h, s in zip(hashes, scores, strict=True))
    return first, second, measured
