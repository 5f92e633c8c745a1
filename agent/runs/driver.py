"""Driving the graph: stream its updates to the screen, stop at the approval gate and hand the
stage to a reviewer, resume with the decision. A run killed anywhere continues from its last
checkpoint through the same loop."""

from __future__ import annotations

import errno
import sqlite3
import traceback
from collections.abc import Callable
from contextlib import closing
from typing import Any

from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.types import Command

from agent.approval.approve import approve_stage
from agent.approval.verify import verify_stage
from agent.errors import AgentError
from agent.graph.services import Services
from agent.graph.wiring import build_graph
from agent.rundir import write_atomic

Reviewer = Callable[[dict[str, Any]], dict[str, Any]]
"""Takes the gate's payload, returns a decision; returns {"decision": "quit"} to pause."""


class Paused(Exception):
    """The run stopped at the approval gate with its state kept; ``agent resume`` continues it."""


class StageFailed(AgentError):
    """Something outside the graph's logic broke mid-stage (disk full, Docker gone, model died).

    The run stops with the branch at its last good checkpoint and its state kept, so
    ``agent resume`` carries on once the cause is fixed.
    """

    exit_code = 75


def drive(
    svc: Services, first_input: dict[str, Any] | None, reviewer: Reviewer, show: Callable[[str], None]
) -> dict[str, Any]:
    """Run (or continue) the graph to its end; returns the final state, raises ``Paused``.

    ``first_input`` starts the graph when the run has no checkpoint yet; with one, it is unused.
    """
    svc.files.dir.mkdir(parents=True, exist_ok=True)
    config = {"configurable": {"thread_id": svc.files.run_id}, "recursion_limit": 500}
    with closing(sqlite3.connect(svc.files.checkpoints_db, check_same_thread=False)) as conn:
        graph = build_graph(svc, SqliteSaver(conn))
        pending = graph.get_state(config)
        inp: Any = None
        if pending.created_at is None:  # nothing checkpointed yet (killed just after it was made)
            if first_input is None:
                raise AgentError(f"run {svc.files.run_id} has no checkpoint and no start to begin from")
            inp = first_input
        elif not pending.next and not pending.tasks:
            return dict(pending.values)  # finished already
        # else: go on from the checkpoint; a step whose result was saved (a task with writes but
        # no checkpoint after it) is not run again, its saved writes are applied
        payload = pending.interrupts[0].value if pending.interrupts else None
        while True:
            try:
                if payload is not None:
                    inp = Command(resume=_ask(svc, reviewer, payload))
                payload = None
                for chunk in graph.stream(inp, config, stream_mode="updates", durability="sync"):
                    for node, update in chunk.items():
                        if node == "__interrupt__":
                            payload = update[0].value
                        elif isinstance(update, dict):
                            for event in update.get("events", []):
                                show(event)
            except Paused:
                raise
            except KeyboardInterrupt:
                raise Paused(svc.files.run_id) from None
            except Exception as err:
                raise stage_failed(svc, graph.get_state(config), err) from err
            if payload is None:
                return dict(graph.get_state(config).values)


def _reason(err: BaseException) -> str:
    if isinstance(err, OSError) and err.errno == errno.ENOSPC:
        return f"the disk is full ({err.filename or 'writing run files'}); free some space"
    if isinstance(err, AgentError):
        return str(err)
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0] if text else 'no details'}"


def stage_failed(svc: Services, snapshot: Any, err: BaseException) -> StageFailed:
    """Roll the worktree back to the last good checkpoint and record why the run stopped."""
    values = snapshot.values or {}
    node = snapshot.next[0] if snapshot.next else "start"
    stage = values["current"] + 1 if "stages" in values and "current" in values else 0
    good = values.get("checkpoint") or values.get("base_commit", "")
    where = f"stage {stage} failed in {node}" if stage else f"the run failed in {node}"
    reason = _reason(err)
    try:
        if good and svc.worktree.path.is_dir():
            svc.worktree.reset(good)
    except Exception:  # the cause may stop git too; resume resets again before it goes on
        good = ""
    try:
        write_atomic(svc.files.dir / "failure.log", traceback.format_exc())
        svc.files.write_json("failure.json", {"stage": stage, "node": node, "reason": reason, "checkpoint": good})
        svc.log("stage_failed", {"stage": stage, "node": node, "reason": reason, "checkpoint": good})
    except OSError:
        pass  # a full disk cannot take the record; the message below still says everything
    back = f"; the run branch is back at {good[:10]}" if good else ""
    return StageFailed(f"{where}: {reason}{back}; fix the cause, then: agent resume {svc.files.run_id}")


def _ask(svc: Services, reviewer: Reviewer, payload: dict[str, Any]) -> dict[str, Any]:
    """Put the stage to the reviewer; an approval is signed here, by the person's key, before
    the graph sees it (the graph then verifies the signature against the policy in force)."""
    n = payload["stage"]["id"]
    write_atomic(svc.files.stage_dir(n) / "patch.diff", payload["patch"])
    svc.files.write_json(f"stages/{n:02d}/verify.json", payload["verify"])
    svc.files.write_json("pending.json", payload)
    signed = verify_stage(svc.files.dir, n, svc.files.meta(), svc.policy.policy, svc.policy.sha256,
                          applied_sha=payload["patch_sha256"], parent=svc.worktree.head())
    if signed.ok:  # signed already, e.g. with 'agent approve RUN --stage N' while the run waited
        svc.files.pending_path.unlink(missing_ok=True)
        return {"decision": "approve", "approver": ", ".join(signed.signers), "reason": "", "presigned": True}
    decision = reviewer(payload)
    kind = decision.get("decision")
    if kind == "quit":
        raise Paused(svc.files.run_id)
    if kind == "approve":
        if not decision.get("provisional"):  # a CI proposal is signed later, on its branch
            signature, signer = approve_stage(svc.files.dir, n, None, reviewed_sha=payload["patch_sha256"])
            decision = {**decision, "approver": signer, "signature": str(signature)}
    else:
        svc.log(
            "edited" if kind == "edited" else "rejected",
            {"stage": n, "by": decision.get("approver", ""), "reason": decision.get("reason", "")},
        )
    svc.files.pending_path.unlink(missing_ok=True)
    return decision
