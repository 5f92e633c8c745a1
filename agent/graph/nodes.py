"""Node functions: each reads the run state and returns a partial update.

Side effects go through ``Services``. Every node is safe to run again from its top (a resumed
run repeats the node it was killed in), and nothing happens before the gate's interrupt.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict
from typing import Any

from langgraph.types import interrupt

from agent.approval import hunks
from agent.approval.verify import verify_stage
from agent.context.pack import pack_repository
from agent.errors import AgentError, ModelReplyError
from agent.graph.services import Services
from agent.graph.state import Outcome, RunState, Status
from agent.policy.evaluate import evaluate_stage
from agent.runs.files import write_atomic
from agent.sandbox.checks import run_checks

Update = dict[str, Any]


def _context(svc: Services) -> str:
    return (svc.files.dir / "context.txt").read_text(encoding="utf-8")


def _tests(svc: Services, state: RunState, what: str) -> dict[str, Any]:
    with svc.busy(f"{what}: {' '.join(state['test_command'])} ({svc.runner.name} sandbox)"):
        report = run_checks(svc.worktree.path, state["test_command"], svc.runner, svc.limits)
    data = asdict(report)
    data["summary"] = report.summary()
    return data


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _outcome(state: RunState, status: Status, reason: str, commit: str = "", tests: str = "") -> Outcome:
    stage = state["stages"][state["current"]]
    return Outcome(
        stage=stage["id"],
        title=stage["title"],
        status=status,
        reason=reason,
        commit=commit,
        tests=tests,
        attempts=state.get("attempts", 0),
    )


def snapshot(state: RunState, svc: Services) -> Update:
    """Create the run's worktree at the base commit, pack the repository, run the baseline tests."""
    svc.worktree.create(state["base_commit"])
    svc.worktree.reset(state["base_commit"])
    model = svc.model()
    with svc.busy("Reading the repository"):
        packed = pack_repository(svc.worktree.path, state["goal"], svc.settings.context_budget, model.count_tokens)
    write_atomic(svc.files.dir / "context.txt", packed.text)
    baseline = _tests(svc, state, "Baseline tests")
    svc.worktree.reset(state["base_commit"])
    left = f", {len(packed.left_out)} left out" if packed.left_out else ""
    return {
        "worktree": str(svc.worktree.path),
        "checkpoint": state["base_commit"],
        "context_digest": packed.digest,
        "context_tokens": packed.tokens,
        "baseline": baseline,
        "events": [
            f"Read {len(packed.files_full)} files in full ({packed.tokens} tokens{left})",
            f"Baseline tests: {baseline['summary']}",
        ],
    }


def plan(state: RunState, svc: Services) -> Update:
    stages = svc.strategy.plan(state, svc, _context(svc))
    svc.files.write_json("plan.json", stages)
    svc.log("plan", {"stages": [{"id": s["id"], "title": s["title"], "files": s["files"]} for s in stages]})
    lines = [f"Plan: {len(stages)} stage(s)"] + [
        f"  {s['id']}. {s['title']}: {s['intent']} [{', '.join(s['files'])}]" for s in stages
    ]
    return {
        "stages": stages,
        "current": 0,
        "attempts": 0,
        "feedback": "",
        "patch": "",
        "repairs_left": svc.settings.repairs,
        "revisions_left": svc.settings.revisions,
        "events": ["\n".join(lines)],
    }


def propose(state: RunState, svc: Services) -> Update:
    svc.worktree.reset(state["checkpoint"])
    attempts = state.get("attempts", 0) + 1
    try:
        patch = svc.strategy.propose(state, svc, _context(svc))
    except ModelReplyError as err:
        return {
            "patch": "",
            "attempts": attempts,
            "outcomes": [_outcome({**state, "attempts": attempts}, "failed", f"model reply unusable: {err}")],
            "events": [f"Stage {state['current'] + 1} failed: the model's reply was unusable: {err}"],
        }
    n = state["current"] + 1
    write_atomic(svc.files.stage_dir(n) / f"proposal-{attempts}.diff", patch)
    svc.log("stage_proposed", {"stage": n, "attempt": attempts, "patch_sha256": _sha(patch)})
    return {
        "patch": patch,
        "attempts": attempts,
        "events": [f"Stage {n}: proposed a patch of {patch.count(chr(10))} lines (attempt {attempts})"],
    }


def verify(state: RunState, svc: Services) -> Update:
    """Test the proposed patch on a copy of the checkpoint; failures feed a bounded repair."""
    svc.worktree.reset(state["checkpoint"])
    try:
        svc.worktree.apply(state["patch"])
    except AgentError as err:
        result: dict[str, Any] = {
            "ok": False,
            "summary": str(err),
            "output_tail": "",
            "passed": 0,
            "failed": 0,
            "errors": 1,
            "skipped": 0,
            "flaky": [],
        }
    else:
        result = _tests(svc, state, f"Stage {state['current'] + 1}: verifying")
    svc.worktree.reset(state["checkpoint"])
    svc.log(
        "verified",
        {
            "stage": state["current"] + 1,
            "ok": result["ok"],
            "summary": result["summary"],
            "patch_sha256": _sha(state["patch"]),
        },
    )
    update: Update = {
        "verify": result,
        "retry": False,
        "events": [
            f"Stage {state['current'] + 1}: tests {'passed' if result['ok'] else 'FAILED'}: {result['summary']}"
        ],
    }
    if not result["ok"] and state.get("repairs_left", 0) > 0:
        update["repairs_left"] = state["repairs_left"] - 1
        update["retry"] = True
        update["feedback"] = f"The tests failed ({result['summary']}):\n{result['output_tail'][-3000:]}"
    return update


def findings(state: RunState, svc: Services) -> list[str]:
    """What the policy in force says of the current patch, before anyone approves it."""
    patch = state["patch"]
    try:
        paths, size = hunks.changed_paths(patch), hunks.diff_lines(patch)
    except AgentError as err:
        return [f"the patch cannot be read: {err}"]
    decision = evaluate_stage(svc.policy.policy, paths, size, bool(state["verify"].get("ok")), [])
    if svc.mode == "interactive":  # a person approves here: why CI could not is beside the point
        return [f for f in decision.findings if f not in decision.ci_findings]
    return decision.findings


def check_signatures(state: RunState, svc: Services) -> list[str]:
    """Reasons the approval of the current patch does not hold (signature, trust, policy)."""
    verdict = verify_stage(
        svc.files.dir,
        state["current"] + 1,
        svc.files.meta(),
        svc.policy.policy,
        svc.policy.sha256,
        applied_sha=_sha(state["patch"]),
    )
    return verdict.reasons


def gate(state: RunState, svc: Services) -> Update:
    """The approval gate: pause the run for a person (or a verified signature) to decide.

    An approval counts only if its signature verifies against the patch, the run and the
    policy in force; otherwise the stage is treated as rejected, with the reasons.
    """
    stage = state["stages"][state["current"]]
    decision = interrupt(
        {
            "kind": "approval",
            "run_id": state["run_id"],
            "stage_index": state["current"],
            "stage": dict(stage),
            "stage_count": len(state["stages"]),
            "patch": state["patch"],
            "patch_sha256": _sha(state["patch"]),
            "base_commit": state["base_commit"],
            "verify": state["verify"],
            "findings": findings(state, svc),
            "figures": svc.strategy.review_figures(state, svc),
            "worktree": state["worktree"],
        }
    )
    kind = decision.get("decision")
    update: Update = {"decision": decision, "retry": False}
    who = decision.get("approver", "someone")
    if kind == "approve" and decision.get("provisional"):
        if svc.mode == "ci-propose":  # kept on the proposal branch; 'agent ci apply' checks signatures
            update["events"] = [f"Stage {stage['id']}: proposed on the run branch, awaiting signatures"]
            return update
        kind, decision = "reject", {**decision, "reason": "a provisional approval counts only in CI propose mode"}
    if kind == "approve":
        problems = check_signatures(state, svc)
        if not problems:
            update["events"] = [f"Stage {stage['id']}: approved by {who} (signature verified)"]
            return update
        kind = "reject"
        decision = {**decision, "decision": "reject", "reason": "approval does not hold: " + "; ".join(problems)}
        update["decision"] = decision
    if kind == "edited":
        update.update(patch=decision["patch"], events=[f"Stage {stage['id']}: patch edited by {who}; verifying again"])
        return update
    reason = decision.get("reason", "").strip()
    update["events"] = [f"Stage {stage['id']}: rejected by {who}" + (f": {reason}" if reason else "")]
    if reason and state.get("revisions_left", 0) > 0 and not reason.startswith("approval does not hold"):
        update.update(
            feedback=f"A reviewer rejected it: {reason}", revisions_left=state["revisions_left"] - 1, retry=True
        )
    else:
        update["outcomes"] = [_outcome(state, "rejected", reason or "rejected by the reviewer")]
    return update


def apply(state: RunState, svc: Services) -> Update:
    """Commit the approved patch on the run branch and mark it with a checkpoint ref (idempotent)."""
    n = state["current"] + 1
    stage = state["stages"][state["current"]]
    done = svc.worktree.checkpoints().get(n)
    if done and done == svc.worktree.head():
        return {"events": [f"Stage {n}: already applied as {done[:10]}"]}
    svc.worktree.reset(state["checkpoint"])
    svc.worktree.apply(state["patch"])
    write_atomic(svc.files.stage_dir(n) / "patch.diff", state["patch"])
    svc.files.write_json(f"stages/{n:02d}/decision.json", state["decision"])
    commit = svc.worktree.commit(f"agent: stage {n}: {stage['title']}\n\n{stage['intent']}\n\nRun: {state['run_id']}")
    svc.worktree.set_checkpoint(n, commit)
    svc.log("applied", {"stage": n, "patch_sha256": _sha(state["patch"]), "commit": commit})
    return {"events": [f"Stage {n}: applied as {commit[:10]} on {svc.worktree.branch}"]}


def check(state: RunState, svc: Services) -> Update:
    """Run the tests again on the applied stage; success makes it the new good checkpoint."""
    n = state["current"] + 1
    result = _tests(svc, state, f"Stage {n}: checking after apply")
    head = svc.worktree.head()
    svc.worktree.reset(head)
    if result["ok"]:
        outcome = _outcome(state, "applied", "", head, result["summary"])
        outcome["metrics"] = svc.strategy.metrics(state, svc)
        svc.worktree.reset(head)
        return {
            "checkpoint": head,
            "verify": result,
            "outcomes": [outcome],
            "events": [f"Stage {n}: checked: {result['summary']}"],
        }
    return {"verify": result, "events": [f"Stage {n}: check FAILED after apply: {result['summary']}"]}


def rollback(state: RunState, svc: Services) -> Update:
    """Move the run branch back to the last good checkpoint and drop the failed stage's ref."""
    n = state["current"] + 1
    svc.worktree.reset(state["checkpoint"])
    if n in svc.worktree.checkpoints():
        svc.worktree.delete_checkpoint(n)
    reason = f"tests failed after apply: {state['verify']['summary']}"
    svc.log("rolled_back", {"stage": n, "to": state["checkpoint"], "reason": reason})
    return {
        "outcomes": [_outcome(state, "rolled_back", reason, tests=state["verify"]["summary"])],
        "events": [f"Stage {n}: rolled back to {state['checkpoint'][:10]}"],
    }


def advance(state: RunState, svc: Services) -> Update:
    return {
        "current": state["current"] + 1,
        "attempts": 0,
        "feedback": "",
        "patch": "",
        "repairs_left": svc.settings.repairs,
        "revisions_left": svc.settings.revisions,
    }


def report(state: RunState, svc: Services) -> Update:
    from agent.runs.report import write_report

    svc.log(  # logged before the report is written: a report on disk means the log is complete
        "run_ended", {"outcomes": [{"stage": o["stage"], "status": o["status"]} for o in state.get("outcomes", [])]}
    )
    return {"report": write_report(state, svc.files, svc.worktree.branch)}
