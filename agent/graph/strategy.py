"""The interface the graph calls to turn a goal into stages and each stage into a patch.

The graph owns it; the strategies (``agent.rewrites``: general refactor, C to Rust,
self-refinement) implement it. The plan and propose nodes call the run's strategy; everything
else (verify, the gate, apply, check, rollback) is the same for every strategy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from agent.graph.services import Services
    from agent.graph.state import RunState, Stage


class Strategy(Protocol):
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
