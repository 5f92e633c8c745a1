"""The side effects a node may use, behind small interfaces that tests drive for real, and the
interface of the strategies (``agent.rewrites``) that turn a goal into stages and patches."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from agent.approval.audit import append_event
from agent.config import Settings
from agent.graph.state import RunState, Stage
from agent.llm.base import ChatModel
from agent.policy.load import LoadedPolicy
from agent.rundir import RunFiles
from agent.sandbox.base import Limits, Runner
from agent.vcs.worktree import RunWorktree


class Strategy(Protocol):
    """How a goal becomes stages and each stage a patch; the plan and propose nodes call it,
    everything else (verify, the gate, apply, check, rollback) is the same for every strategy."""

    name: str

    def plan(self, state: RunState, svc: Services, context: str) -> list[Stage]:
        """The stages for the run's goal."""
        ...

    def propose(self, state: RunState, svc: Services, context: str) -> str:
        """The current stage's patch against the last good checkpoint (raises ModelReplyError)."""
        ...

    def metrics(self, state: RunState, svc: Services) -> dict[str, Any]:
        """Figures for the report after a stage passed its check (the worktree is at HEAD)."""
        ...

    def review_figures(self, state: RunState, svc: Services) -> dict[str, Any]:
        """Figures measured on the proposal that a reviewer weighs before approving it."""
        ...


PromptGate = Callable[["Services", Path, Path], tuple[bool, str, dict[str, Any]]]
"""Self-refinement's judge of a proposed prompt folder against the current one: (passes, the
figures that decided it, a record for the stage). The evaluation suite that implements it
starts runs of its own, so it sits above the graph and a command hands it in."""


@dataclass
class Services:
    settings: Settings
    files: RunFiles
    worktree: RunWorktree
    model: Callable[[], ChatModel]  # loaded on first use, so resuming at the gate loads nothing
    runner: Runner
    limits: Limits
    busy: Callable[[str], AbstractContextManager[object]]  # shows a live status while a step runs
    policy: LoadedPolicy  # the policy in force, fixed at run start
    strategy: Strategy  # how the goal becomes stages and each stage a patch
    mode: Literal["interactive", "ci-propose"] = "interactive"  # fixed at run start, in meta.json
    prompt_gate: PromptGate | None = None  # only self-refinement asks it

    def log(self, event: str, data: dict[str, Any]) -> None:
        """Append to the run's hash-chained audit log."""
        append_event(self.files.dir / "audit.jsonl", self.files.run_id, event, data)

    @property
    def repo(self) -> Path:
        return self.worktree.repo
