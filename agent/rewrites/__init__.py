"""Strategies that turn a goal into stages and propose each stage's patch.

The graph's plan and propose nodes call the run's strategy; everything else (verify, the gate,
apply, check, rollback) is the same for every strategy.
"""

from __future__ import annotations

from agent.errors import AgentError
from agent.graph.services import Strategy


def strategy_for(name: str) -> Strategy:
    if name == "general":
        from agent.rewrites.general import GeneralRefactor

        return GeneralRefactor()
    if name == "c2rust":
        from agent.rewrites.c2rust import CToRust

        return CToRust()
    if name == "self":
        from agent.rewrites.self_refine import SelfRefine

        return SelfRefine()
    raise AgentError(f"unknown strategy '{name}': use one of general, c2rust, self")
