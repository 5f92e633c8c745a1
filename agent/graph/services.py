"""The side effects a node may use, behind small interfaces that tests drive for real."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from agent.approval.audit import append_event
from agent.config import Settings
from agent.llm.base import ChatModel
from agent.policy.load import LoadedPolicy
from agent.runs.files import RunFiles
from agent.sandbox.base import Limits, Runner
from agent.vcs.worktree import RunWorktree

if TYPE_CHECKING:
    from agent.graph.strategy import Strategy


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

    def log(self, event: str, data: dict[str, Any]) -> None:
        """Append to the run's hash-chained audit log."""
        append_event(self.files.dir / "audit.jsonl", self.files.run_id, event, data)

    @property
    def repo(self) -> Path:
        return self.worktree.repo
