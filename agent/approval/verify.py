"""Check a run's applied stages: each signature valid, bound to this stage, trusted, enough.

Every rejected approval gets one line saying why, so a person can tell a tampered patch
from a replayed approval, an unknown key, a stale policy or a damaged file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.approval import hunks, sshsig
from agent.approval.audit import verify_log
from agent.approval.keys import NAMESPACE
from agent.approval.runs import stage_dir
from agent.approval.statement import FIELDS, KIND, patch_sha256
from agent.errors import AgentError
from agent.policy.evaluate import Decision, evaluate_stage
from agent.policy.model import Policy


class Rejected(Exception):
    """One approval that does not count; the message is the one-line reason."""


@dataclass
class StageVerdict:
    """Whether an applied stage was properly approved, and every reason it was not."""

    stage: int
    signers: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    decision: Decision | None = None

    @property
    def ok(self) -> bool:
        return not self.reasons


def check_approval(sig: Path, expected: dict[str, Any], policy: Policy) -> str:
    """The trusted signer's name for one ``.sig``, or ``Rejected`` with the reason."""
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
    if not isinstance(statement, dict) or statement.get("kind") != KIND:
        raise Rejected(f"signed statement is not an {KIND} statement")
    if statement.get("key_fingerprint") != verified.fingerprint:
        raise Rejected("statement names a different key than the one that signed it")
    reasons = {
        "run_id": "approval belongs to run {got}, not {want} (replayed)",
        "stage": "approval belongs to stage {got}, not {want} (replayed)",
        "base_commit": "approval was for base commit {got}, not {want}",
        "policy_sha256": "approval was signed under a different policy ({got:.12})",
        "patch_sha256": "patch changed after approval (signed {got:.12}, applied {want:.12})",
    }
    for name in FIELDS:
        got, want = statement.get(name), expected[name]
        if got != want:
            raise Rejected(reasons[name].format(got=str(got), want=str(want)))
    return signer.name


def _checks_green(sdir: Path) -> bool:
    """The sandbox verdict the graph recorded (``verify.json``); absent means not green."""
    try:
        return bool(json.loads((sdir / "verify.json").read_text()).get("ok"))
    except (OSError, ValueError, AttributeError):
        return False


def verify_stage(
    run_path: Path, stage: int, meta: dict[str, Any], policy: Policy, policy_sha: str,
    applied_sha: str | None = None,
) -> StageVerdict:
    """Check a stage's approvals against its patch, the run, and the policy in force."""
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
        "base_commit": meta["base_commit"], "policy_sha256": policy_sha,
    }
    sigs = sorted((sdir / "approvals").glob("*.sig"))
    if not sigs:
        verdict.reasons.append("no approvals")
    for sig in sigs:
        try:
            verdict.signers.append(check_approval(sig, expected, policy))
        except Rejected as ex:
            verdict.reasons.append(f"{sig.name}: {ex}")
    text = patch.decode(errors="replace")
    try:
        paths, size = hunks.changed_paths(text), hunks.diff_lines(text)
    except AgentError:
        verdict.reasons.append("patch.diff is not a valid unified diff")
        return verdict
    verdict.decision = evaluate_stage(policy, paths, size, _checks_green(sdir), verdict.signers)
    if sigs and not verdict.decision.approved:
        verdict.reasons += [f"policy: {f}" for f in verdict.decision.findings] or [
            "policy: not enough trusted signatures"
        ]
    return verdict


def applied_stages(run_path: Path) -> dict[int, str | None]:
    """Stage number -> patch hash the log recorded as applied; without a log, every stage."""
    log = run_path / "audit.jsonl"
    if log.exists():
        applied: dict[int, str | None] = {}
        for entry in verify_log(log).entries:
            data = entry.get("data") or {}
            if entry.get("event") == "applied" and isinstance(data.get("stage"), int):
                applied[data["stage"]] = data.get("patch_sha256")
            elif entry.get("event") == "rolled_back" and isinstance(data.get("stage"), int):
                applied.pop(data["stage"], None)
        return applied
    stages = sorted(p.name for p in (run_path / "stages").glob("[0-9]*") if p.name.isdigit())
    return {int(name): None for name in stages}


def allowed_signers_text(policy: Policy) -> str:
    """The policy's signers in git's allowed_signers format, for plain ``ssh-keygen -Y verify``."""
    return "".join(
        f'{s.name} namespaces="{NAMESPACE}" {sshsig.public_line(s.public_key)}\n'
        for s in policy.signers
    )
