"""Strategies that turn a goal into stages and propose each stage's patch.

The graph's plan and propose nodes call the run's strategy; everything else (verify, the gate,
apply, check, rollback) is the same for every strategy.
"""

from __future__ import annotations

import re

from agent.errors import AgentError
from agent.graph.services import Strategy

RUST_GOAL = re.compile(r"\b(to|into|in)\s+rust\b", re.I)


def wants_rust(goal: str) -> bool:
    """Whether a goal asks for a translation to Rust ("translate to Rust", "port it into Rust")."""
    return bool(RUST_GOAL.search(goal))


def strategy_from_goal(goal: str) -> str | None:
    """The strategy a goal asks for in so many words, or None for the configured one.

    ``agent refine`` and ``agent ci propose`` both ask here, so bot mode plans a goal as the
    terminal does.
    """
    return "c2rust" if wants_rust(goal) else None


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
