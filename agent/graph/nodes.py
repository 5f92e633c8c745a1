"""Node functions: each reads the run state and returns a partial update.

Side effects go through ``Services``. Every node is safe to run again from its top (a resumed
run repeats the node it was killed in), and nothing happens before the gate's interrupt.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import asdict, replace
from pathlib import PurePosixPath
from typing import Any

from langgraph.types import interrupt

from agent.approval import hunks
from agent.approval.verify import verify_stage
from agent.context.pack import pack_repository
from agent.errors import AgentError, ModelReplyError
from agent.graph import mixing
from agent.graph.judge import Verdict, judge, preserves_behaviour, test_edits
from agent.graph.report import write_report
from agent.graph.services import Services
from agent.graph.state import Outcome, RunState, Stage, Status, digest
from agent.policy.evaluate import evaluate_stage
from agent.rundir import write_atomic
from agent.sandbox.base import Limits
from agent.sandbox.checks import run_checks

Update = dict[str, Any]


def _context(svc: Services) -> str:
    return (svc.files.dir / "context.txt").read_text(encoding="utf-8")


# A candidate's tests may take this multiple of the slowest of the baseline's and the last applied
# stage's test runs plus the margin (never more than the policy's limit): a candidate stuck in an
# endless loop then costs seconds, not minutes. The last stage counts since a stage can make the
# test command slower for good (C to Rust's scaffold adds a cargo build to a C build of under a second).
TEST_TIME_FACTOR, TEST_TIME_MARGIN_S = 5.0, 10.0
MANIFESTS = {"Cargo.toml", "Cargo.lock", "pyproject.toml", "setup.py", "setup.cfg", "requirements.txt",
             "package.json", "go.mod"}  # where a project names its dependencies


def time_limit_for_tests(state: RunState, ceiling: float, changed: Iterable[str] = ()) -> float:
    """Seconds a candidate's tests may take: from the slowest of the baseline's and the last
    applied stage's runs, never above ``ceiling``; the ceiling itself when one of those was stopped,
    when the stage rewrites the tests themselves (C tests become cargo tests, compiled afresh:
    no earlier run says how long those take, and on a loaded machine they outran 5x the last), or
    when the candidate ``changed`` a dependency manifest (a new crate's first build, C2Rust's
    runtime crate for bit-fields, outran 5x the last run on a loaded machine)."""
    runs = [r for r in (state.get("baseline"), state.get("reference")) if r]
    stages, current = state.get("stages", []), state.get("current", 0)
    rewrites_tests = current < len(stages) and bool(stages[current].get("tests_editable"))
    new_dependencies = any(PurePosixPath(path).name in MANIFESTS for path in changed)
    if not runs or rewrites_tests or new_dependencies or any(r.get("killed_by") for r in runs):
        return ceiling
    slowest = max(float(r.get("duration_s", 0)) for r in runs)
    return min(ceiling, TEST_TIME_FACTOR * slowest + TEST_TIME_MARGIN_S)


def candidate_limits(svc: Services, state: RunState, changed: Iterable[str] = ()) -> Limits:
    """The sandbox limits of one test run of a candidate that writes the files ``changed``, its
    time from ``time_limit_for_tests``."""
    ceiling = min(svc.limits.timeout_s, svc.settings.test_timeout)
    return replace(svc.limits, timeout_s=time_limit_for_tests(state, ceiling, changed))


def _tests(svc: Services, state: RunState, what: str, changed: Iterable[str] = ()) -> dict[str, Any]:
    with svc.busy(f"{what}: {' '.join(state['test_command'])} ({svc.runner.name} sandbox)"):
        report = run_checks(svc.worktree.path, state["test_command"], svc.runner, candidate_limits(svc, state, changed))
    data = asdict(report)
    data["summary"] = report.summary()
    return data


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
        "reference": baseline,
        "rejected": [],
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
    return {"stages": stages, "current": 0, **_fresh_stage(svc), "events": ["\n".join(lines)]}


def _fresh_stage(svc: Services) -> Update:
    """The per-stage fields as a stage starts: no candidates yet, the whole budget left."""
    return {"attempts": 0, "repeats": 0, "feedback": "", "patch": "", "candidate": "", "best": {}, "tried": [],
            "spent": 0.0, "repairing": False, "revisions_left": svc.settings.revisions, "mixes": [], "crossed": 0}


# Each proposal that repeated an earlier candidate warms the next draw by this much, up to the
# ceiling: a small model sampled at 0.7 often writes the same file again under a new seed.
REPEAT_TEMPERATURE_STEP, REPEAT_TEMPERATURE_CEILING = 0.2, 1.2
# Once a candidate verified, this many repeats end the stage with it: a small model repairing in
# conversation mostly wrote its best candidate back, warmer or not (two-fer: 19 copies in 160 s),
# and draws that repeat say the model is sure; the stage that follows a red one starts afresh
# from the failing tests' output.
REPEATS_THAT_END_A_REPAIR = 2
SEEDS_PER_STAGE = 1000  # more than the proposals of any one stage


def _sampling(state: RunState, svc: Services, attempt: int) -> dict[str, Any]:
    """The first proposal is sampled at the settings' temperature (0, the most likely reply, unless
    agent eval varies it); later ones with other seeds, so that each candidate is a new draw, and
    warmer after repeats."""
    if attempt == 1 and not state.get("rejected"):
        return {"temperature": svc.settings.temperature, "seed": svc.settings.seed}
    base = svc.settings.candidate_temperature
    warmer = min(base + REPEAT_TEMPERATURE_STEP * state.get("repeats", 0), max(base, REPEAT_TEMPERATURE_CEILING))
    # seeds differ from stage to stage too: a later stage draws the planned stage's prompt again
    return {"temperature": round(warmer, 2), "seed": svc.settings.seed + SEEDS_PER_STAGE * state["current"] + attempt}


def _candidates_made(state: RunState) -> int:
    """Proposals that count toward ``candidates``: a repeat of an earlier one tests nothing new,
    and a mix of tested ones asked the model nothing."""
    return state.get("attempts", 0) - state.get("repeats", 0) - state.get("crossed", 0)


def last_attempt(state: RunState, svc: Services, asking_s: float) -> bool:
    """Whether the proposal being made is the stage's last: the candidate count is reached, or
    half the stage's time is gone, counting the ``asking_s`` seconds this proposal has taken so
    far, so another would likely not fit. A strategy with a fallback (C to Rust's transpiled
    functions) takes it here rather than let the stage fail: on a slow machine one reply of the
    1.5B took 10 minutes, the whole budget, and the stage failed without its fallback."""
    return (_candidates_made(state) + 1 >= svc.settings.candidates
            or state.get("spent", 0.0) + asking_s >= svc.settings.stage_seconds / 2)


def propose(state: RunState, svc: Services) -> Update:
    """Ask the strategy for one candidate patch; ``verify`` tests it and keeps the best so far.
    A mix of tested candidates waiting in the queue goes first: it asks the model nothing."""
    started = time.monotonic()
    if state.get("mixes"):
        mix, attempts = state["mixes"][0], state.get("attempts", 0) + 1
        said = f"Stage {state['current'] + 1}: mixed {mix['what']} into the best file so far (attempt {attempts})"
        return {"candidate": mix["patch"], "attempts": attempts, "mixes": state["mixes"][1:],
                "crossed": state.get("crossed", 0) + 1, "spent": state.get("spent", 0.0) + time.monotonic() - started,
                "events": [said]}
    svc.worktree.reset(state["checkpoint"])
    if state.get("repairing"):  # the model sees the files as its best candidate left them, and fixes them
        svc.worktree.apply(state["patch"])
    attempts = state.get("attempts", 0) + 1
    n = state["current"] + 1
    sampling = _sampling(state, svc, attempts)
    try:
        patch = svc.strategy.propose({**state, "sampling": sampling}, svc, _context(svc))
    except ModelReplyError as err:
        patch, error = "", str(err)
    else:
        error = ""
        write_atomic(svc.files.stage_dir(n) / f"proposal-{attempts}.diff", patch)
        svc.log("stage_proposed", {"stage": n, "attempt": attempts, "patch_sha256": digest(patch)})
    svc.worktree.reset(state["checkpoint"])
    spent = state.get("spent", 0.0) + time.monotonic() - started
    update: Update = {"candidate": patch, "attempts": attempts, "sampling": sampling, "spent": spent}
    if error:
        update["events"] = [f"Stage {n}: the model's reply was unusable (attempt {attempts}): {error}"]
        update["candidate_error"] = f"The model's reply was unusable: {error}"
    else:
        update["events"] = [f"Stage {n}: proposed a patch of {patch.count(chr(10))} lines (attempt {attempts})"]
    return update


def _test_edits(state: RunState, paths: list[str]) -> list[str]:
    """Test files a stage may not edit: all of them, unless the goal asks for tests or the
    strategy (in code, not the model) planned the stage to rewrite them."""
    if state["stages"][state["current"]].get("tests_editable"):
        return []
    return test_edits(paths, state["goal"])


def _repeats(state: RunState, patch: str) -> str:
    """Why a candidate repeats an earlier one (tried in this stage, or rejected), or ''."""
    sha = digest(patch)
    if sha in state.get("rejected", []):
        return "it is identical to a patch the reviewer rejected; write a different one"
    if sha in state.get("tried", []):
        return "it is identical to an earlier candidate; write a different one"
    return ""


def _refusal(state: RunState, patch: str) -> str:
    """Why a candidate that repeats no earlier one is still not tested: it edits tests."""
    try:
        edited_tests = _test_edits(state, hunks.changed_paths(patch))
    except AgentError as err:
        return f"the patch cannot be read: {err}"
    if edited_tests:
        return (f"it edits the test file(s) {', '.join(edited_tests)}, but the goal does not ask for tests: "
                "the tests are the judge; change the code so that they pass")
    return ""


def _test_candidate(state: RunState, svc: Services, patch: str) -> dict[str, Any]:
    """The candidate's tests on a copy of the checkpoint, with its verdict against the reference."""
    svc.worktree.reset(state["checkpoint"])
    try:
        svc.worktree.apply(patch)
    except AgentError as err:
        result: dict[str, Any] = {"ok": False, "summary": str(err), "output_tail": "", "passed": 0, "failed": 0,
                                  "errors": 1, "skipped": 0, "flaky": [], "outcomes": {}, "applied": False}
        verdict = Verdict(False, 0, 0, reason=f"the patch does not apply: {err}")
    else:
        result = _tests(svc, state, f"Stage {state['current'] + 1}: testing candidate {state['attempts']}",
                        hunks.changed_paths(patch))
        verdict = judge(state["reference"], result, preserves_behaviour(state["goal"]))
    svc.worktree.reset(state["checkpoint"])
    result["verdict"] = verdict.as_dict()
    return result


def _rank(best: dict[str, Any]) -> tuple[int, int, int, int, int]:
    """Best by test outcome (nothing broken, most fixed, fewest errors, fewest failing), then the
    smaller patch. Errors come first among the failures: a candidate whose tests cannot even be
    collected counts one error for the whole file, and must not outrank one whose tests ran."""
    verdict = best["verdict"]
    return (-len(verdict["broke"]), verdict["fixed"], -int(best["verify"].get("errors", 0)),
            -verdict["still_failing"], -len(best["patch"]))


def _failure_feedback(best: dict[str, Any]) -> str:
    verdict, tests = best["verdict"], best["verify"]
    why = verdict["reason"] or f"{verdict['still_failing']} test(s) still fail"
    return f"The tests were not all green ({why}; {tests['summary']}):\n{tests['output_tail'][-3000:]}"


def verify(state: RunState, svc: Services) -> Update:
    """Test the candidate and keep the best one so far; search on while the stage's budget lasts.

    The gate sees the best candidate once one makes every test pass or, when the budget is
    spent or the proposals keep repeating earlier ones, the best one that verified (broke nothing,
    fixed a failing test). The state says what a new proposal may learn from: once one verified,
    repairs start from the best candidate and its test output; before that each proposal starts
    afresh, told why the best attempt failed. The strategy chooses what it uses: whole-file
    proposals draw the stage's first prompt again instead (see propose_patch).
    """
    started = time.monotonic()
    n, attempt = state["current"] + 1, state["attempts"]
    patch, best, tried = state.get("candidate", ""), dict(state.get("best") or {}), list(state.get("tried", []))
    donors, mixes = list(state.get("donors", [])), list(state.get("mixes", []))
    repeated = _repeats(state, patch) if patch else ""
    refusal = repeated or (_refusal(state, patch) if patch else state.get("candidate_error", ""))
    repeats = state.get("repeats", 0) + bool(repeated)
    if refusal:
        event = f"Stage {n}: candidate {attempt} not tested: {refusal}"
        svc.log("verified", {"stage": n, "ok": False, "summary": refusal, "patch_sha256": digest(patch)})
    else:
        tried.append(digest(patch))
        result = _test_candidate(state, svc, patch)
        verdict = result["verdict"]
        svc.log("verified", {"stage": n, "ok": verdict["ok"], "summary": verdict["summary"],
                             "tests": result["summary"], "patch_sha256": digest(patch)})
        svc.files.write_json(f"stages/{n:02d}/candidate-{attempt}.json",
                             {"verdict": verdict, "tests": result["summary"], "patch_sha256": digest(patch)})
        kept = "" if verdict["ok"] else f"; not kept: {verdict['reason']}"
        event = f"Stage {n}: candidate {attempt}: {verdict['summary']} ({result['summary']}){kept}"
        mine = {"patch": patch, "verify": result, "verdict": verdict, "attempt": attempt}
        if result.get("applied", True) and (not best or _rank(mine) > _rank(best)):
            best = mine
        elif not result.get("applied", True):
            refusal = verdict["reason"]
        if result.get("applied", True):
            donors = mixing.with_donor(state, svc, patch, result, attempt)
            mixes = mixing.queue(state, svc, best, donors, tried)
    spent = state.get("spent", 0.0) + time.monotonic() - started
    update: Update = {"retry": False, "repairing": False, "candidate_error": "", "best": best, "tried": tried,
                      "repeats": repeats, "spent": spent, "donors": donors, "mixes": mixes, "events": [event]}
    best_ok = bool(best) and best["verdict"]["ok"]
    made = _candidates_made({**state, "repeats": repeats})
    in_budget = spent < svc.settings.stage_seconds and (made < svc.settings.candidates or bool(mixes))
    stuck = best_ok and repeats >= REPEATS_THAT_END_A_REPAIR and in_budget and not best["verify"]["ok"]
    if stuck:  # the only reason to stop here, so it is said
        update["events"] = [event, f"Stage {n}: the repairs repeat earlier candidates: the best one goes on"]
    if best_ok and (best["verify"]["ok"] or not in_budget or stuck):
        return {**update, "patch": best["patch"], "verify": best["verify"]}
    if in_budget:
        if not best:
            return {**update, "retry": True, "patch": patch, "feedback": refusal}
        note = f"\nYour latest attempt was not tested: {refusal}" if refusal else ""
        # progress to build on: the next candidate starts from it; else afresh, told why it failed
        return {**update, "retry": True, "repairing": best_ok, "patch": best["patch"],
                "feedback": _failure_feedback(best) + note}
    reason = best["verdict"]["reason"] if best else refusal
    failed = f"no candidate verified in {attempt} attempt(s), {spent:.0f}s: {reason}"
    return {**update, "patch": "", "outcomes": [_outcome(state, "failed", failed)],
            "events": [event, f"Stage {n} failed: {failed}"]}


def findings(state: RunState, svc: Services) -> list[str]:
    """What the policy in force says of the current patch, before anyone approves it."""
    patch = state["patch"]
    try:
        paths, size = hunks.changed_paths(patch), hunks.diff_lines(patch)
    except AgentError as err:
        return [f"the patch cannot be read: {err}"]
    decision = evaluate_stage(svc.policy.policy, paths, size, bool(state["verify"].get("ok")), [])
    tests = [f"edits test file {p}, but the goal does not ask for tests" for p in _test_edits(state, paths)]
    if svc.mode == "interactive":  # a person approves here: why CI could not is beside the point
        return [f for f in decision.findings if f not in decision.ci_findings] + tests
    return decision.findings + tests


def check_signatures(state: RunState, svc: Services) -> list[str]:
    """Reasons the approval of the current patch does not hold (signature, trust, policy)."""
    verdict = verify_stage(
        svc.files.dir,
        state["current"] + 1,
        svc.files.meta(),
        svc.policy.policy,
        svc.policy.sha256,
        applied_sha=digest(state["patch"]),
        parent=state["checkpoint"],
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
            "patch_sha256": digest(state["patch"]),
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
    if kind == "edited":  # tested like any candidate, after the ones tried so far
        update.update(candidate=decision["patch"], best={}, tried=[], spent=0.0, mixes=[],
                      events=[f"Stage {stage['id']}: patch edited by {who}; verifying again"])
        return update
    reason = decision.get("reason", "").strip()
    update["events"] = [f"Stage {stage['id']}: rejected by {who}" + (f": {reason}" if reason else "")]
    update["rejected"] = [*state.get("rejected", []), digest(state["patch"])]
    if reason and state.get("revisions_left", 0) > 0 and not reason.startswith("approval does not hold"):
        update.update(  # a new search, learning from the reason; the rejected patch is never shown again,
            # nor mixed into another: what the tests liked, the reviewer did not
            feedback=f"A reviewer rejected it: {reason}", revisions_left=state["revisions_left"] - 1, retry=True,
            best={}, spent=0.0, attempts=0, repeats=0, repairing=False, mixes=[], crossed=0, donors=[],
        )
    else:
        update["outcomes"] = [_outcome(state, "rejected", reason or "rejected by the reviewer")]
    return update


def apply(state: RunState, svc: Services) -> Update:
    """Commit the approved patch on the run branch and mark it with a checkpoint ref (idempotent)."""
    n = state["current"] + 1
    stage = state["stages"][state["current"]]
    done = svc.worktree.checkpoints().get(n)
    if done and done == svc.worktree.head():  # a kill came after the ref: record it (again) in the log
        svc.log("applied", {"stage": n, "patch_sha256": digest(state["patch"]), "commit": done})
        return {"events": [f"Stage {n}: already applied as {done[:10]}"]}
    svc.worktree.reset(state["checkpoint"])
    svc.worktree.apply(state["patch"])
    write_atomic(svc.files.stage_dir(n) / "patch.diff", state["patch"])
    svc.files.write_json(f"stages/{n:02d}/decision.json", state["decision"])
    commit = svc.worktree.commit(f"agent: stage {n}: {stage['title']}\n\n{stage['intent']}\n\nRun: {state['run_id']}")
    svc.worktree.set_checkpoint(n, commit)
    svc.log("applied", {"stage": n, "patch_sha256": digest(state["patch"]), "commit": commit})
    return {"events": [f"Stage {n}: applied as {commit[:10]} on {svc.worktree.branch}"]}


def check(state: RunState, svc: Services) -> Update:
    """Run the tests again on the applied stage; if they hold what the stage's verification
    showed, it becomes the new good checkpoint and the reference later stages are judged by."""
    n = state["current"] + 1
    result = _tests(svc, state, f"Stage {n}: checking after apply", hunks.changed_paths(state["patch"]))
    verdict = judge(state["reference"], result, preserves_behaviour(state["goal"]))
    result["verdict"] = verdict.as_dict()
    head = svc.worktree.head()
    svc.worktree.reset(head)
    if verdict.ok:
        outcome = _outcome(state, "applied", "", head, f"{verdict.summary()} ({result['summary']})")
        outcome["metrics"] = svc.strategy.metrics(state, svc)
        svc.worktree.reset(head)
        return {
            "checkpoint": head,
            "reference": result,
            "verify": result,
            "outcomes": [outcome],
            "events": [f"Stage {n}: checked: {verdict.summary()} ({result['summary']})"],
        }
    return {"verify": result, "events": [f"Stage {n}: check FAILED after apply: {verdict.reason}"]}


def rollback(state: RunState, svc: Services) -> Update:
    """Move the run branch back to the last good checkpoint and drop the failed stage's ref."""
    n = state["current"] + 1
    svc.worktree.reset(state["checkpoint"])
    if n in svc.worktree.checkpoints():
        svc.worktree.delete_checkpoint(n)
    reason = f"tests failed after apply: {state['verify']['verdict']['reason']}"
    svc.log("rolled_back", {"stage": n, "to": state["checkpoint"], "reason": reason})
    return {
        "outcomes": [_outcome(state, "rolled_back", reason, tests=state["verify"]["summary"])],
        "events": [f"Stage {n}: rolled back to {state['checkpoint'][:10]}"],
    }


CONTINUE_TITLE = "Fix the remaining failing tests"


def _continuation(state: RunState, svc: Services) -> Stage | None:
    """One more stage when the run started red, the last stage made progress, tests still fail
    and the plan is used up: partial progress sticks and the next stage starts from it. Its
    first proposal is asked with the failing output; later whole-file ones draw the planned
    stage's first prompt again (``follows``, ``start``): see propose_patch."""
    stages, last = state["stages"], state["stages"][state["current"]]
    applied = any(o["stage"] == last["id"] and o["status"] == "applied" for o in state.get("outcomes", []))
    if (state["baseline"].get("ok") or state["reference"].get("ok") or not applied
            or state["current"] + 1 < len(stages) or len(stages) >= svc.settings.max_stages):
        return None
    failing = [t for t, o in (state["reference"].get("outcomes") or {}).items() if o in ("failed", "errors")]
    named = f": {', '.join(failing[:8])}" + (" ..." if len(failing) > 8 else "") if failing else ""
    reference = state["reference"]
    return Stage(id=len(stages) + 1, title=CONTINUE_TITLE, files=list(last["files"]),
                 intent=f"Make the tests that still fail pass{named}, keeping the ones that pass green.",
                 failing=f"{reference.get('summary', '')}:\n{reference.get('output_tail', '')[-3000:]}",
                 follows=last.get("follows", state["current"]), start=last.get("start", f"{state['checkpoint']}~1"))


def advance(state: RunState, svc: Services) -> Update:
    """The next stage; a run that started red ends as soon as every test passes."""
    update: Update = {"current": state["current"] + 1, **_fresh_stage(svc)}
    red_to_green = not state["baseline"].get("ok")
    if red_to_green and state["reference"].get("ok"):
        update["current"] = len(state["stages"])
        if state["current"] + 1 < len(state["stages"]):
            update["events"] = ["Every test passes now: the remaining stages are not needed"]
        return update
    extra = _continuation(state, svc)
    if extra is not None:
        update["stages"] = [*state["stages"], extra]
        update["events"] = [f"Tests still fail after stage {extra['id'] - 1}: stage {extra['id']}: {extra['title']}"]
        ahead: RunState = {**state, **update}  # type: ignore[typeddict-item]
        update["mixes"] = mixing.queue(ahead, svc, {}, state.get("donors", []), [])  # before the model is asked
    return update


def report(state: RunState, svc: Services) -> Update:
    svc.log(  # logged before the report is written: a report on disk means the log is complete
        "run_ended", {"outcomes": [{"stage": o["stage"], "status": o["status"]} for o in state.get("outcomes", [])]}
    )
    return {"report": write_report(state, svc.files, svc.worktree.branch)}
