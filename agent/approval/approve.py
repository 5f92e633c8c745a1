"""Approve a stage of a run: check the key is trusted by the run's policy, sign, log it.

The graph calls ``approve_stage`` after a person chose "approve" on the review screen;
``agent approve`` calls it directly. Signing alone is ``statement.sign_approval``.
"""

from __future__ import annotations

from pathlib import Path

from agent.approval import audit
from agent.approval.keys import load_key, resolve_key_path
from agent.approval.line import resolve
from agent.approval.statement import patch_sha256, sign_approval
from agent.errors import AgentError
from agent.policy.snapshot import run_policy
from agent.rundir import read_meta, stage_dir


def stage_parent(run_path: Path, run_id: str, stage: int) -> str:
    """The commit stage ``stage`` applies to: its applied commit's parent, else the run branch's
    head (where the run waits at the gate). The approval signs it, fixing the stage's place."""
    repo = run_path.parents[2]
    applied = resolve(repo, f"refs/agent/{run_id}/stage-{stage}")
    parent = resolve(repo, f"{applied}^") if applied else resolve(repo, f"refs/heads/agent/{run_id}")
    if parent is None:
        raise AgentError(f"run {run_id} has no branch agent/{run_id} in {repo}; the run cannot be approved")
    return parent


def approve_stage(
    run_path: Path, stage: int, key: Path | None, reviewed_sha: str | None = None
) -> tuple[Path, str]:
    """Sign stage ``stage`` with a key the policy trusts and log it; (sig path, signer name).

    ``reviewed_sha`` is the hash of the patch the person saw; it must be the stage's patch.
    """
    meta = read_meta(run_path)
    loaded = run_policy(run_path, meta)
    patch = stage_dir(run_path, stage) / "patch.diff"
    if not patch.is_file():
        raise AgentError(f"run {run_path.name} has no stage {stage} (no {patch}); check --stage")
    signing = load_key(resolve_key_path(key))
    signer = loaded.policy.signer_for_key(signing.public_key)
    if signer is None:
        raise AgentError(
            f"key {signing.fingerprint} is not a trusted signer in {loaded.path}; "
            "add it under signers (see 'agent keys init')"
        )
    sha = patch_sha256(patch.read_bytes())
    if reviewed_sha is not None and reviewed_sha != sha:
        raise AgentError(f"{patch} changed since it was reviewed; run 'agent review' again")
    log = run_path / "audit.jsonl"
    fields = {
        "run_id": meta["run_id"], "stage": stage, "patch_sha256": sha, "base_commit": meta["base_commit"],
        "parent_commit": stage_parent(run_path, meta["run_id"], stage), "policy_sha256": loaded.sha256,
        "audit_head": audit.signed_head(log),
    }
    sig = sign_approval(run_path, fields, signing.path)
    audit.append_event(log, meta["run_id"], "approved", {
        "stage": stage, "signer": signer.name, "key_fingerprint": signing.fingerprint,
        "patch_sha256": sha,
    })
    return sig, signer.name
