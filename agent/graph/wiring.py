"""The graph's shape: snapshot -> plan -> per stage: propose -> verify -> gate -> apply -> check
(-> rollback) -> next stage, then report. Routing lives here, in edge functions."""

from __future__ import annotations

from functools import partial
from typing import Any

from langgraph.graph import END, START, StateGraph

from agent.graph import nodes
from agent.graph.services import Services
from agent.graph.state import RunState


def after_verify(state: RunState) -> str:
    if state.get("retry"):
        return "propose"
    return "gate" if state.get("patch") else "advance"  # no patch: the stage failed


def after_gate(state: RunState) -> str:
    kind = state["decision"].get("decision")
    if kind == "approve":
        return "apply"
    if kind == "edited":
        return "verify"
    return "propose" if state.get("retry") else "advance"


def after_check(state: RunState) -> str:
    return "advance" if state["verify"]["verdict"]["ok"] else "rollback"


def after_advance(state: RunState) -> str:
    return "propose" if state["current"] < len(state["stages"]) else "report"


def build_graph(svc: Services, checkpointer: Any) -> Any:
    g = StateGraph(RunState)
    for name in ("snapshot", "plan", "propose", "verify", "gate", "apply", "check", "rollback", "advance", "report"):
        g.add_node(name, partial(getattr(nodes, name), svc=svc))
    g.add_edge(START, "snapshot")
    g.add_edge("snapshot", "plan")
    g.add_edge("plan", "propose")
    g.add_edge("propose", "verify")
    g.add_conditional_edges("verify", after_verify, ["propose", "gate", "advance"])
    g.add_conditional_edges("gate", after_gate, ["apply", "verify", "propose", "advance"])
    g.add_edge("apply", "check")
    g.add_conditional_edges("check", after_check, ["advance", "rollback"])
    g.add_edge("rollback", "advance")
    g.add_conditional_edges("advance", after_advance, ["propose", "report"])
    g.add_edge("report", END)
    return g.compile(checkpointer=checkpointer)
