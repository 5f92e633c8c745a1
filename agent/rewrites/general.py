"""The general refactor: the model plans the stages and writes each stage's edits."""

from __future__ import annotations

from typing import Any

from agent.graph.planning import make_plan, propose_patch
from agent.graph.services import Services
from agent.graph.state import RunState, Stage


class GeneralRefactor:
    name = "general"

    def plan(self, state: RunState, svc: Services, context: str) -> list[Stage]:
        return make_plan(state, svc, context)

    def propose(self, state: RunState, svc: Services, context: str) -> str:
        return propose_patch(state, svc, context)

    def metrics(self, state: RunState, svc: Services) -> dict[str, Any]:
        return {}

    def review_figures(self, state: RunState, svc: Services) -> dict[str, Any]:
        return {}
