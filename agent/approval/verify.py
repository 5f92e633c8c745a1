"""Check a run's applied stages: each signature valid, bound to this stage, trusted, enough.

Every rejected approval gets one line saying why, so a person can tell a tampered patch
from a replayed approval, an unknown key, a stale policy or a damaged file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent import sshsig
from agent.approval import hunks
from agent.approval.keys import NAMESPACE
from agent.approval.statement import KIND, patch_sha256
from agent.errors import AgentError
from agent.policy.evaluate import Decision, evaluate_stage
from agent.policy.model import Policy
from agent.rundir import stage_dir


class Rejected(Exception):
    """One approval that does not count; the message is the one-line reason."""


@dataclass
class StageVerdict:
    """Whether an applied stage was properly approved, and every reason it was not."""

    stage: int
    signers: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    decision: Decision | None = None
    anchors: list[tuple[str, Any]] = field(default_factory=list)  # (who, audit head they signed)

    @property
    def ok(self) -> bool:
        return not self.reasons


_REASONS = {
    "run_id": "approval belongs to run {got}, not {want} (replayed)",
    "stage": "approval belongs to stage {got}, not {want} (replayed)",
    "base_commit": "approval was for base commit {got}, not {want}",
    "parent_commit": "approval was for the patch on {got:.10}, not on {want:.10} (stages dropped/repeated/reordered?)",
    "policy_sha256": "approval was signed under a different policy ({got:.12})",
    "patch_sha256": "patch changed after approval (signed {got:.12}, applied {want:.12})",
}


def check_signed(sig: Path, policy: Policy, kind: str) -> tuple[str, dict[str, Any]]:
    """The trusted signer's name and the signed statement of one ``.sig``, or ``Rejected``."""
    statement_file = sig.with_suffix(".json")
    try:
        armored, message = sig.read_text(errors="replace"), statement_file.read_bytes()
    except FileNotFoundError as ex:
        raise Rejected(f"{Path(ex.filename).name} is missing") from ex
    try:
        verified = sshsig.verify(armored, message, NAMESPACE)
    except sshsig.SignatureError as ex:
        raise Rejected(str(ex)) from ex
    signer = policy.signer_for_key(verified.public_key)
    if signer is None:
        raise Rejected(f"key {verified.fingerprint} is not a trusted signer in the policy")
    try:
        statement = json.loads(message)
    except ValueError as ex:
        raise Rejected("signed statement is not JSON") from ex
    if not isinstance(statement, dict) or statement.get("kind") != kind:
        got = statement.get("kind") if isinstance(statement, dict) else None
        older = " from an older agent; sign the stage again" if got == "agent-approval/v1" else ""
        raise Rejected(f"signed statement is not an {kind} statement{older}")
    if statement.get("key_fingerprint") != verified.fingerprint:
        raise Rejected("statement names a different key than the one that signed it")
    return signer.name, statement


def check_approval(sig: Path, expected: dict[str, Any], policy: Policy) -> tuple[str, dict[str, Any]]:
    """The trusted signer's name and statement for one stage approval, or ``Rejected``."""
    name, statement = check_signed(sig, policy, KIND)
    for field_name, template in _REASONS.items():
        got, want = statement.get(field_name), expected[field_name]
        if got != want:
            raise Rejected(template.format(got=str(got), want=str(want)))
    return name, statement


def _checks_green(sdir: Path) -> bool:
    """The sandbox verdict the graph recorded (``verify.json``); absent means not green."""
    try:
        return bool(json.loads((sdir / "verify.json").read_text()).get("ok"))
    except (OSError, ValueError, AttributeError):
        return False


def verify_stage(
    run_path: Path, stage: int, meta: dict[str, Any], policy: Policy, policy_sha: str,
    applied_sha: str | None = None, *, parent: str,
) -> StageVerdict:
    """Check a stage's approvals against its patch, the commit it applies to (``parent``),
    the run, and the policy in force."""
    verdict = StageVerdict(stage)
    sdir = stage_dir(run_path, stage)
    try:
        patch = (sdir / "patch.diff").read_bytes()
    except OSError:
        verdict.reasons.append("patch.diff is missing")
        return verdict
    sha = patch_sha256(patch)
    if applied_sha is not None and applied_sha != sha:
        verdict.reasons.append("patch.diff differs from the patch the log says was applied")
    expected = {
        "run_id": meta["run_id"], "stage": stage, "patch_sha256": applied_sha or sha,
        "base_commit": meta["base_commit"], "parent_commit": parent, "policy_sha256": policy_sha,
    }
    sigs = sorted((sdir / "approvals").glob("*.sig"))
    if not sigs:
        verdict.reasons.append("no approvals")
    for sig in sigs:
        try:
            name, statement = check_approval(sig, expected, policy)
        except Rejected as ex:
            verdict.reasons.append(f"{sig.name}: {ex}")
            continue
        verdict.signers.append(name)
        if statement.get("audit_head") is not None:
            verdict.anchors.append((f"{name} (stage {stage})", statement["audit_head"]))
    try:
        paths, size = hunks.changed_paths(patch), hunks.diff_lines(patch)
    except AgentError as ex:
        verdict.reasons.append(f"patch.diff: {ex}")
        return verdict
    verdict.decision = evaluate_stage(policy, paths, size, _checks_green(sdir), verdict.signers)
    if sigs and not verdict.decision.approved:
        verdict.reasons += [f"policy: {f}" for f in verdict.decision.findings] or [
            "policy: not enough trusted signatures"
        ]
    return verdict


def applied_stages(entries: list[dict[str, Any]]) -> dict[int, str | None]:
    """Stage number -> patch hash the audit log recorded as applied, rollbacks taken out."""
    applied: dict[int, str | None] = {}
    for entry in entries:
        data = entry.get("data") or {}
        if entry.get("event") == "applied" and isinstance(data.get("stage"), int):
            applied[data["stage"]] = data.get("patch_sha256")
        elif entry.get("event") == "rolled_back" and isinstance(data.get("stage"), int):
            applied.pop(data["stage"], None)
    return applied


def allowed_signers_text(policy: Policy) -> str:
    """The policy's signers in git's allowed_signers format, for plain ``ssh-keygen -Y verify``."""
    return "".join(
        f'{s.name} namespaces="{NAMESPACE}" {sshsig.public_line(s.public_key)}\n'
        for s in policy.signers
    )
