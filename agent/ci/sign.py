"""Signatures in CI mode: the CI key signs what policy lets CI approve alone, during
``ci propose``; a maintainer signs a stage in a checkout of the proposal branch.

Neither appends to an audit log inside the record: two people signing in parallel then only
add files named by their own key fingerprints, so their commits never conflict. A maintainer
also signs the proposal's whole stage line (``proposal/<fp>``), after checking the checkout's
branch holds exactly those stages: that signed line is the only stage list ``ci apply`` trusts.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agent.approval import audit, hunks
from agent.approval.keys import load_key, resolve_key_path
from agent.approval.line import resolve
from agent.approval.statement import patch_sha256, proposal_fields, sign_approval, sign_proposal
from agent.ci.layout import line_problems, read_record_meta, record_path, signed_stage_line
from agent.errors import AgentError
from agent.policy.evaluate import evaluate_stage
from agent.policy.load import default_policy_path, load_policy
from agent.policy.snapshot import run_policy
from agent.rundir import read_meta
from agent.runs.driver import Reviewer

CI_KEY_ENV = "AGENT_CI_KEY"


def ci_key_path(explicit: Path | None, repo: Path) -> Path | None:
    """``--ci-key``, else ``$AGENT_CI_KEY``; it must be a signer with role "ci" in the repo's policy.

    None when neither is set: then no stage is signed during the proposal.
    """
    raw = explicit or (Path(os.environ[CI_KEY_ENV]) if os.environ.get(CI_KEY_ENV) else None)
    if raw is None:
        return None
    path = resolve_key_path(raw)
    key = load_key(path)
    policy = load_policy(default_policy_path(repo))
    signer = policy.policy.signer_for_key(key.public_key)
    if signer is None or signer.role != "ci":
        what = "is not a signer" if signer is None else f"belongs to {signer.name}, role {signer.role}"
        raise AgentError(
            f"CI key {path} ({key.fingerprint}) {what} in {policy.path}: add it under signers with role: ci"
        )
    return path


def ci_reviewer(repo: Path, ci_key: Path | None, say: Callable[[str], None]) -> Reviewer:
    """Provisionally approve every stage (it stays on the proposal branch until people sign);
    sign right away with the CI key the stages policy lets CI approve alone."""

    def review(payload: dict[str, Any]) -> dict[str, Any]:
        n = payload["stage"]["id"]
        run_path = repo / ".agent" / "runs" / payload["run_id"]
        if ci_key is not None and payload["verify"].get("ok"):
            loaded = run_policy(run_path, read_meta(run_path))
            patch = payload["patch"]
            verdict = evaluate_stage(
                loaded.policy, hunks.changed_paths(patch), hunks.diff_lines(patch), True, []
            )
            if verdict.auto_approvable_by_ci:
                parent = resolve(Path(payload["worktree"]), "HEAD") or ""
                signer = _ci_sign(run_path, n, ci_key, payload["patch_sha256"], parent)
                say(f"Stage {n}: policy lets CI approve it alone; signed by {signer}")
                return {"decision": "approve", "provisional": True, "approver": signer, "reason": ""}
        return {"decision": "approve", "provisional": True, "approver": "ci-propose", "reason": ""}

    return review


def _ci_sign(run_path: Path, stage: int, key_path: Path, sha: str, parent: str) -> str:
    """Sign with the CI key and log it as an approval by CI under ``ci_may_approve``."""
    meta = read_meta(run_path)
    loaded = run_policy(run_path, meta)
    key = load_key(key_path)
    signer = loaded.policy.signer_for_key(key.public_key)
    if signer is None or signer.role != "ci":
        raise AgentError(f"CI key {key_path} is not a CI signer in the run's policy; add it with role: ci")
    log = run_path / "audit.jsonl"
    fields = {"run_id": meta["run_id"], "stage": stage, "patch_sha256": sha, "base_commit": meta["base_commit"],
              "parent_commit": parent, "policy_sha256": loaded.sha256, "audit_head": audit.signed_head(log)}
    sign_approval(run_path, fields, key_path)
    audit.append_event(log, meta["run_id"], "approved", {
        "stage": stage, "signer": signer.name, "key_fingerprint": key.fingerprint, "patch_sha256": sha,
        "role": "ci", "auto": "ci_may_approve",
    })
    return signer.name


def approve_in_checkout(checkout: Path, run_id: str, stage: int, key: Path | None) -> tuple[Path, str]:
    """Sign stage ``stage`` and the stage line of the record in a checkout of ``agent/RUN``,
    once the checkout's branch is checked to hold exactly those stages; (sig path, signer)."""
    run_path = checkout / record_path(run_id)
    if not (run_path / "meta.json").is_file():
        raise AgentError(
            f"{checkout} has no {record_path(run_id)}/meta.json: check out the proposal branch "
            f"first (git fetch origin agent/{run_id} && git checkout agent/{run_id})"
        )
    meta = read_record_meta(run_path)
    loaded = run_policy(run_path, meta)
    patch = run_path / "stages" / f"{stage:02d}" / "patch.diff"
    if not patch.is_file():
        raise AgentError(f"run {run_id} proposes no stage {stage}; see report.md for the stage numbers")
    signing = load_key(resolve_key_path(key))
    signer = loaded.policy.signer_for_key(signing.public_key)
    if signer is None:
        raise AgentError(f"key {signing.fingerprint} is not a trusted signer in the run's policy; pass --key PATH")
    listed = {s["stage"]: s for s in meta["stages"]}
    head = resolve(checkout, "HEAD") or "HEAD"
    problems = line_problems(checkout, run_path, meta["base_commit"], meta["stages"], head)
    line = proposal_fields(meta["run_id"], meta["base_commit"], loaded.sha256, meta["stages"])
    if not problems and list((run_path / "proposal").glob("*.sig")):
        if signed_stage_line(run_path, loaded.policy, meta, problems) != line["stages"] and not problems:
            problems.append("its stage list is not the one already signed in proposal/")
    if stage not in listed or problems:
        why = problems[0] if problems else f"its record does not list stage {stage}"
        raise AgentError(f"{checkout}: the branch does not hold what its record proposes ({why}); "
                         f"fetch agent/{run_id} again, and do not sign a changed branch", exit_code=3)
    fields = {
        "run_id": meta["run_id"], "stage": stage, "patch_sha256": patch_sha256(patch.read_bytes()),
        "base_commit": meta["base_commit"], "parent_commit": listed[stage]["parent_commit"],
        "policy_sha256": loaded.sha256, "audit_head": None,
    }
    sig = sign_approval(run_path, fields, signing.path)
    sign_proposal(run_path, line, signing.path)
    return sig, signer.name
