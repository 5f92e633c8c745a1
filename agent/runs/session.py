"""Starting and resuming a run: check the input, take the repository lock, assemble the
services the graph's nodes use, and drive the graph."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from agent.config import Settings, load_settings
from agent.errors import AgentError
from agent.graph.services import Services
from agent.llm.base import ChatModel
from agent.llm.scripted import RecordingModel
from agent.policy.load import LoadedPolicy, load_policy
from agent.policy.local import policy_for_run
from agent.rewrites import strategy_for
from agent.runs.driver import Reviewer, drive
from agent.runs.files import RunFiles, new_run_id
from agent.sandbox.base import Runner
from agent.sandbox.checks import check_command_exists, detect_test_command
from agent.vcs.lock import RepoLock
from agent.vcs.target import resolve_target
from agent.vcs.worktree import RunWorktree

Mode = Literal["interactive", "ci-propose"]


@dataclass
class Terminal:
    """What the run needs from whoever watches it: lines, a live status, a reviewer."""

    show: Callable[[str], None]
    busy: Callable[[str], AbstractContextManager[object]]
    reviewer: Reviewer


def open_model(settings: Settings, busy: Callable[[str], AbstractContextManager[object]]) -> ChatModel:
    """The model named in settings: ``scripted:FILE`` replays, anything else goes to the registry."""
    if settings.model.startswith("scripted:"):
        from agent.llm.scripted import ScriptedModel

        return ScriptedModel.from_file(Path(settings.model.split(":", 1)[1]))
    from agent.llm.llama import load_model

    with busy(f"Loading model {settings.model}"):
        return load_model(settings.model, n_ctx=settings.ctx)


def preflight_model(settings: Settings, busy: Callable[[str], AbstractContextManager[object]]) -> None:
    """Find the model and check it fits in memory before a run writes anything.

    A missing, corrupt or unknown model, or one too big for this machine, is refused here with
    one line; the model itself is loaded only when the run first needs it.
    """
    spec = settings.model
    if spec.startswith(("scripted:", "http://", "https://")):
        return
    from agent.llm.fit import require_fit
    from agent.llm.registry import resolve_model

    with busy(f"Checking model {spec}"):
        require_fit(resolve_model(spec), settings.ctx)


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
) -> tuple[RunFiles, dict[str, Any]]:
    """Validate everything, then run the graph from the top; returns the final state.

    ``record`` keeps every model reply in that JSON file, for ``--model scripted:FILE`` replays.

    ``mode`` is fixed for the run's life (kept in meta.json): in "ci-propose" stages are kept on
    the run branch without signatures, for 'agent ci apply' to check before anything lands.
    """
    if not goal.strip():
        raise AgentError('the goal is empty: say what to change, e.g. --goal "add input validation to parse()"')
    repo = resolve_target(path, allow_dirty=allow_dirty, say=term.show)
    settings = load_settings(repo, overrides)
    strategy_for(settings.strategy)  # an unknown strategy stops here, before anything is written
    if model is None:
        preflight_model(settings, term.busy)
    command = settings.test_command or detect_test_command(repo)
    if settings.sandbox == "none":
        check_command_exists(command)
    run_id = new_run_id()
    files = RunFiles(repo, run_id)
    # the sandbox is opened before anything is written, so a missing engine or image changes nothing
    with RepoLock(repo, run_id), runner or open_runner(settings, repo) as sandbox:
        import git

        base = git.Repo(repo).head.commit.hexsha
        files.dir.mkdir(parents=True, exist_ok=True)
        policy = policy_for_run(repo, files.dir, trust_local_user=(mode == "interactive"), say=term.show)
        files.write_json(
            "meta.json",
            {
                "run_id": run_id,
                "repo": str(repo),
                "base_commit": base,
                "goal": goal,
                "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "settings": settings.model_dump(),
                "test_command": command,
                "policy_path": str(policy.path),
                "policy_sha256": policy.sha256,
                "mode": mode,
            },
        )
        files.register()
        term.show(f"Run {run_id} on {repo} (branch agent/{run_id}, base {base[:10]})")
        svc = services(files, settings, term, policy, model, sandbox, mode, record)
        svc.log(
            "run_started", {"goal": goal, "base_commit": base, "model": settings.model, "policy_sha256": policy.sha256}
        )
        first = {
            "run_id": run_id,
            "goal": goal,
            "repo": str(repo),
            "base_commit": base,
            "test_command": command,
            "outcomes": [],
            "events": [],
        }
        return files, drive(svc, first, term.reviewer, term.show)


def resume(
    files: RunFiles,
    term: Terminal,
    model: ChatModel | None = None,
    runner: Runner | None = None,
    overrides: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Continue a run from its last checkpoint (a pause at the gate, or a killed process)."""
    meta = files.meta()
    settings = Settings(**{**meta["settings"], **{k: v for k, v in (overrides or {}).items() if v is not None}})
    policy = load_policy(files.dir / "policy.yaml")
    if policy.sha256 != meta["policy_sha256"]:
        raise AgentError(f"run {files.run_id}: its policy snapshot was changed; the run cannot continue")
    with RepoLock(files.repo, files.run_id), runner or open_runner(settings, files.repo) as sandbox:
        term.show(f"Resuming run {files.run_id} on {files.repo}")
        svc = services(files, settings, term, policy, model, sandbox, meta.get("mode", "interactive"))
        return drive(svc, None, term.reviewer, term.show)
