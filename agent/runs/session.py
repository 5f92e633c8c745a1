"""Starting and resuming a run: check the input, take the repository lock, assemble the
services the graph's nodes use, and drive the graph."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from agent.approval.audit import append_event
from agent.approval.local_policy import policy_for_run
from agent.config import Settings, load_settings
from agent.errors import AgentError
from agent.graph.services import PromptGate, Services
from agent.llm.base import ChatModel
from agent.llm.scripted import RecordingModel
from agent.policy.load import LoadedPolicy, load_policy
from agent.rewrites import strategy_for
from agent.rundir import RunFiles, clear_abandoned, new_run_id, write_atomic
from agent.runs.driver import Reviewer, drive
from agent.sandbox.base import Runner
from agent.sandbox.checks import check_command_exists, detect_test_command
from agent.vcs import git
from agent.vcs.lock import RepoLock
from agent.vcs.target import resolve_target
from agent.vcs.worktree import RunWorktree, exclude_run_files

Mode = Literal["interactive", "ci-propose"]


@dataclass
class Terminal:
    """What the run needs from whoever watches it: lines, a live status, a reviewer."""

    show: Callable[[str], None]
    busy: Callable[[str], AbstractContextManager[object]]
    reviewer: Reviewer


def open_model(settings: Settings, busy: Callable[[str], AbstractContextManager[object]]) -> ChatModel:
    """The model named in settings, loaded with its KV cache type and GPU layers."""
    from agent.llm.spec import open_model as open_spec

    with busy(f"Loading model {settings.model}") as status:
        update = getattr(status, "update", None)  # a live status line shows the load's progress
        return open_spec(settings.model, settings.ctx, kv_type=settings.kv_cache, n_gpu_layers=settings.gpu_layers,
                         progress=(lambda what, done: update(f"{what} {done:.0%} ...")) if update else None)


def preflight_model(settings: Settings, busy: Callable[[str], AbstractContextManager[object]]) -> None:
    """Find the model and check it fits in memory, as it will be loaded, before a run writes anything.

    A missing, corrupt or unknown model, or one too big for this machine, is refused here with
    one line; the model itself is loaded only when the run first needs it.
    """
    from agent.llm.spec import check_model

    with busy(f"Checking model {settings.model}"):
        check_model(settings.model, settings.ctx, kv_type=settings.kv_cache, n_gpu_layers=settings.gpu_layers)


def open_runner(settings: Settings, repo: Path) -> Runner:
    """The sandbox the settings name; unsandboxed only when the user said ``--sandbox none``."""
    from agent.sandbox.factory import open_runner as sandbox_runner

    return sandbox_runner(settings.sandbox, repo=repo, strategy=settings.strategy,
                          allow_unsandboxed=settings.sandbox == "none")


def lazy(factory: Callable[[], ChatModel]) -> Callable[[], ChatModel]:
    cache: list[ChatModel] = []

    def get() -> ChatModel:
        if not cache:
            cache.append(factory())
        return cache[0]

    return get


def services(
    files: RunFiles,
    settings: Settings,
    term: Terminal,
    policy: LoadedPolicy,
    model: ChatModel | None,
    runner: Runner,
    mode: Mode = "interactive",
    record: Path | None = None,
    prompt_gate: PromptGate | None = None,
) -> Services:
    def load() -> ChatModel:
        loaded = open_model(settings, term.busy)
        return RecordingModel(loaded, record) if record is not None else loaded

    return Services(
        settings=settings,
        files=files,
        worktree=RunWorktree(files.repo, files.run_id, files.worktree),
        model=(lambda: model) if model is not None else lazy(load),
        runner=runner,
        limits=policy.policy.sandbox.limits(),
        busy=term.busy,
        policy=policy,
        strategy=strategy_for(settings.strategy),
        mode=mode,
        prompt_gate=prompt_gate,
    )


def start(
    path: Path,
    goal: str,
    term: Terminal,
    overrides: dict[str, Any] | None = None,
    allow_dirty: bool = False,
    model: ChatModel | None = None,
    runner: Runner | None = None,
    mode: Mode = "interactive",
    record: Path | None = None,
    prompt_gate: PromptGate | None = None,
) -> tuple[RunFiles, dict[str, Any]]:
    """Validate everything, then run the graph from the top; returns the final state.

    ``record`` keeps every model reply in that JSON file, for ``--model scripted:FILE`` replays.
    ``prompt_gate`` judges a self-refinement's prompt change (the evaluation suite, from above).

    ``mode`` is fixed for the run's life (kept in meta.json): in "ci-propose" stages are kept on
    the run branch without signatures, for 'agent ci apply' to check before anything lands.
    """
    if not goal.strip():
        raise AgentError('the goal is empty: say what to change, e.g. --goal "add input validation to parse()"')
    repo = resolve_target(path, allow_dirty=allow_dirty, say=term.show)
    settings = load_settings(repo, overrides)
    settings.model = absolute_model(settings.model, repo)
    strategy_for(settings.strategy)  # an unknown strategy stops here, before anything is written
    if model is None:
        preflight_model(settings, term.busy)
    command = settings.test_command or detect_test_command(repo)
    if settings.sandbox == "none":
        check_command_exists(command)
    run_id = new_run_id()
    files = RunFiles(repo, run_id)
    exclude_run_files(repo)  # before anything under .agent/ exists, so git status never shows it
    # the sandbox is opened before anything is written, so a missing engine or image changes nothing
    with RepoLock(repo, run_id), runner or open_runner(settings, repo) as sandbox:
        clear_abandoned(repo)
        base = git.out(repo, "rev-parse", "HEAD")
        meta = {
            "run_id": run_id,
            "repo": str(repo),
            "base_commit": base,
            "goal": goal,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "settings": settings.model_dump(),
            "test_command": command,
            "policy_path": str(files.dir / "policy.yaml"),
            "mode": mode,
        }
        policy = _create_run_folder(files, meta, term, mode)
        term.show(f"Run {run_id} on {repo} (branch agent/{run_id}, base {base[:10]})")
        svc = services(files, settings, term, policy, model, sandbox, mode, record, prompt_gate)
        return files, drive(svc, first_state(meta), term.reviewer, term.show)


def _create_run_folder(files: RunFiles, meta: dict[str, Any], term: Terminal, mode: Mode) -> LoadedPolicy:
    """Write the run's policy snapshot, meta.json and first audit entry into a hidden folder and
    rename it into place: a kill at any instant leaves either a whole run or none."""
    staging = files.staging
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        policy = policy_for_run(files.repo, staging, trust_local_user=(mode == "interactive"), say=term.show)
        meta["policy_sha256"] = policy.sha256
        write_atomic(staging / "meta.json", json.dumps(meta, indent=2, sort_keys=True) + "\n")
        append_event(staging / "audit.jsonl", files.run_id, "run_started", {
            "goal": meta["goal"], "base_commit": meta["base_commit"], "model": meta["settings"]["model"],
            "policy_sha256": policy.sha256,
        })
        files.register()
        staging.rename(files.dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return load_policy(files.dir / "policy.yaml")


def first_state(meta: dict[str, Any]) -> dict[str, Any]:
    """The graph's input, from meta.json: a run killed before its first checkpoint starts over."""
    return {
        "run_id": meta["run_id"],
        "goal": meta["goal"],
        "repo": meta["repo"],
        "base_commit": meta["base_commit"],
        "test_command": meta["test_command"],
        "outcomes": [],
        "events": [],
    }


def absolute_model(spec: str, repo: Path) -> str:
    """A relative model path (a ``.gguf`` file or ``scripted:FILE``) made absolute, so the run
    resumes from any folder: relative to the current folder, or to the repository if only it
    holds the file."""
    prefix = "scripted:" if spec.startswith("scripted:") else ""
    name = spec[len(prefix):]
    if not name or not (prefix or name.endswith(".gguf")):
        return spec
    path = Path(name).expanduser()
    if not path.is_absolute():
        here, there = Path.cwd() / path, repo / path
        path = there if there.exists() and not here.exists() else here
    return prefix + str(path.resolve())


def resume(
    files: RunFiles,
    term: Terminal,
    model: ChatModel | None = None,
    runner: Runner | None = None,
    overrides: dict[str, Any] | None = None,
    prompt_gate: PromptGate | None = None,
) -> dict[str, Any]:
    """Continue a run from its last checkpoint (a pause at the gate, or a killed process)."""
    meta = files.meta()
    settings = Settings(**{**meta["settings"], **{k: v for k, v in (overrides or {}).items() if v is not None}})
    policy = load_policy(files.dir / "policy.yaml")
    if policy.sha256 != meta["policy_sha256"]:
        raise AgentError(f"run {files.run_id}: its policy snapshot was changed; the run cannot continue")
    with RepoLock(files.repo, files.run_id), runner or open_runner(settings, files.repo) as sandbox:
        term.show(f"Resuming run {files.run_id} on {files.repo}")
        svc = services(files, settings, term, policy, model, sandbox, meta.get("mode", "interactive"),
                       prompt_gate=prompt_gate)
        for lock in svc.worktree.clear_stale_locks():  # we hold the repository lock: their git is dead
            term.show(f"Removed {lock}, left by a git process that was killed")
        return drive(svc, first_state(meta), term.reviewer, term.show)
