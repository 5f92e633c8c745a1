"""Driving the graph: stream its updates to the screen, stop at the approval gate and hand the
stage to a reviewer, resume with the decision. A run killed anywhere continues from its last
checkpoint through the same loop."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import closing
from typing import Any

from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.types import Command

from agent.approval.approve import approve_stage
from agent.approval.verify import verify_stage
from agent.graph.services import Services
from agent.graph.wiring import build_graph
from agent.runs.files import write_atomic

Reviewer = Callable[[dict[str, Any]], dict[str, Any]]
"""Takes the gate's payload, returns a decision; returns {"decision": "quit"} to pause."""


class Paused(Exception):
    """The run stopped at the approval gate with its state kept; ``agent resume`` continues it."""


def drive(
    svc: Services, first_input: dict[str, Any] | None, reviewer: Reviewer, show: Callable[[str], None]
) -> dict[str, Any]:
    """Run (or continue) the graph to its end; returns the final state, raises ``Paused``."""
    svc.files.dir.mkdir(parents=True, exist_ok=True)
    config = {"configurable": {"thread_id": svc.files.run_id}, "recursion_limit": 500}
    with closing(sqlite3.connect(svc.files.checkpoints_db, check_same_thread=False)) as conn:
        graph = build_graph(svc, SqliteSaver(conn))
        pending = graph.get_state(config)
        inp: Any = first_input
        if pending.interrupts:
            inp = Command(resume=_ask(svc, reviewer, pending.interrupts[0].value))
        elif pending.values and not pending.next:
            return dict(pending.values)  # finished already
        while True:
            payload = None
            for chunk in graph.stream(inp, config, stream_mode="updates", durability="sync"):
                for node, update in chunk.items():
                    if node == "__interrupt__":
                        payload = update[0].value
                    elif isinstance(update, dict):
                        for event in update.get("events", []):
                            show(event)
            if payload is None:
                return dict(graph.get_state(config).values)
            inp = Command(resume=_ask(svc, reviewer, payload))


def _ask(svc: Services, reviewer: Reviewer, payload: dict[str, Any]) -> dict[str, Any]:
    """Put the stage to the reviewer; an approval is signed here, by the person's key, before
    the graph sees it (the graph then verifies the signature against the policy in force)."""
    n = payload["stage"]["id"]
    write_atomic(svc.files.stage_dir(n) / "patch.diff", payload["patch"])
    svc.files.write_json(f"stages/{n:02d}/verify.json", payload["verify"])
    svc.files.write_json("pending.json", payload)
    signed = verify_stage(svc.files.dir, n, svc.files.meta(), svc.policy.policy, svc.policy.sha256,
                          applied_sha=payload["patch_sha256"])
    if signed.ok:  # signed already, e.g. with 'agent approve RUN --stage N' while the run waited
        svc.files.pending_path.unlink(missing_ok=True)
        return {"decision": "approve", "approver": ", ".join(signed.signers), "reason": "", "presigned": True}
    decision = reviewer(payload)
    kind = decision.get("decision")
    if kind == "quit":
        raise Paused(svc.files.run_id)
    if kind == "approve":
        signature, signer = approve_stage(svc.files.dir, n, None, reviewed_sha=payload["patch_sha256"])
        decision = {**decision, "approver": signer, "signature": str(signature)}
    else:
        svc.log(
            "edited" if kind == "edited" else "rejected",
            {"stage": n, "by": decision.get("approver", ""), "reason": decision.get("reason", "")},
        )
    svc.files.pending_path.unlink(missing_ok=True)
    return decision
