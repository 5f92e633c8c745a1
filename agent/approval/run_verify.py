"""``agent verify RUN``: does branch ``agent/RUN`` hold only what trusted people signed?

It reads the branch from git, not from the run folder: every commit from the base to the head
must be one stage's signed patch applied to the commit before it (only commits adding
signatures may follow), each such stage's approvals must verify against a policy from outside
the run folder (``trust``) and satisfy it, the audit log must match the heads the approvals
signed and record exactly the stages the branch holds. Each failure is one line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent import sshsig
from agent.approval import audit
from agent.approval.keys import NAMESPACE
from agent.approval.line import Commit, is_patch_on, resolve, stage_commits
from agent.approval.statement import KIND
from agent.approval.trust import Trust, snapshot_problem, trusted_policy
from agent.approval.verify import allowed_signers_text, applied_stages, verify_stage
from agent.rundir import read_meta, stage_dir


@dataclass
class RunVerdict:
    """What ``agent verify`` prints, in order, and the problems among it."""

    trust: Trust
    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    stages: list[int] = field(default_factory=list)

    def fail(self, line: str) -> None:
        self.lines.append(line)
        self.problems.append(line)


def _stage_numbers(run_path: Path) -> list[int]:
    return sorted(int(p.name) for p in (run_path / "stages").glob("[0-9]*") if p.name.isdigit())


def _match(repo: Path, run_path: Path, commit: Commit, after: int) -> int | None:
    """The first stage after ``after`` whose patch, applied to the commit's parent, is the commit."""
    for n in _stage_numbers(run_path):
        patch = stage_dir(run_path, n) / "patch.diff"
        if n > after and patch.is_file() and is_patch_on(repo, patch.read_bytes(), commit):
            return n
    return None


def _audit(run_path: Path, out: RunVerdict) -> list[dict[str, Any]] | None:
    """The log's entries, or None (with the problem) when it is missing or tampered."""
    log = run_path / "audit.jsonl"
    if not log.exists():
        out.fail(f"audit log: missing ({log}): cannot tell which stages were applied or rolled back; "
                 "pass --no-audit to check the branch and signatures alone")
        return None
    report = audit.verify_log(log)
    if not report.ok:
        out.fail(f"audit log: TAMPERED: {report.problem}")
        return None
    return report.entries


def verify_run(run_path: Path, policy_file: Path | None = None, check_audit: bool = True) -> RunVerdict:
    """Check every commit on ``agent/RUN`` against the signed stages; see the module docstring."""
    meta = read_meta(run_path)
    out = RunVerdict(trusted_policy(run_path, meta, policy_file))
    out.lines.append(f"policy: {out.trust.source}")
    (run_path / "allowed_signers").write_text(allowed_signers_text(out.trust.loaded.policy))
    if (why := snapshot_problem(run_path, meta)) is not None:
        out.fail(f"policy: {why}")
    entries = _audit(run_path, out) if check_audit else None
    if not check_audit:
        out.lines.append("audit log: not checked (--no-audit)")
    applied = applied_stages(entries) if entries is not None else {}

    repo, base, run_id = run_path.parents[2], str(meta["base_commit"]), str(meta["run_id"])
    head = resolve(repo, f"refs/heads/agent/{run_id}")
    problems: list[str] = []
    if head is None:
        problems.append(f"branch agent/{run_id} is not in {repo}; there is nothing to check the signatures against")
    commits = stage_commits(repo, base, head, problems) if head else []
    for problem in problems:
        out.fail(f"branch agent/{run_id}: {problem}")
    anchors: list[tuple[str, Any]] = []
    last = 0
    for commit in commits:
        n = _match(repo, run_path, commit, last)
        if n is None:
            out.fail(f"branch agent/{run_id}: commit {commit.sha[:10]} ({commit.subject}) is no stage's signed "
                     f"patch on {commit.parent[:10]} (amended, or added after the run?)")
            continue
        last = n
        out.stages.append(n)
        verdict = verify_stage(run_path, n, meta, out.trust.loaded.policy, str(meta["policy_sha256"]),
                               applied.get(n) if entries is not None else None, parent=commit.parent)
        anchors += verdict.anchors
        if entries is not None and n not in applied:
            verdict.reasons.append("on the branch, but the audit log does not record it as applied")
        where = f"commit {commit.sha[:10]} on {commit.parent[:10]}"
        if verdict.ok:
            out.lines.append(f"stage {n:02d}: ok, approved by {', '.join(verdict.signers)} ({where})")
        for reason in verdict.reasons:
            out.fail(f"stage {n:02d}: REJECTED: {reason}")
    for n in sorted(set(applied) - set(out.stages)):
        out.fail(f"stage {n:02d}: REJECTED: the audit log records it as applied, but agent/{run_id} "
                 "does not hold it (branch rewound or rewritten?)")
    if entries is not None:
        if (why := audit.anchor_problem(entries, anchors)) is not None:
            out.fail(f"audit log: TAMPERED: {why}")
        else:
            out.lines.append(f"audit log: ok, {len(entries)} entries, {_anchored(anchors)}")
    return out


def _anchored(anchors: list[tuple[str, Any]]) -> str:
    seqs = [a[1]["seq"] for a in anchors if isinstance(a[1], dict) and isinstance(a[1].get("seq"), int)]
    return f"signed up to entry #{max(seqs)}" if seqs else "no approval signs any of it yet"


def signed_anchors(run_path: Path, run_id: str) -> list[tuple[str, Any]]:
    """Audit heads signed by every approval in the run whose signature verifies (any key).

    For ``agent audit verify``, which checks the log alone: an approval by an untrusted key
    cannot vouch for anything, but a head it signed can still only be met by the true log.
    """
    anchors = []
    for statement_file in sorted((run_path / "stages").glob("*/approvals/*.json")):
        sig = statement_file.with_suffix(".sig")
        try:
            message = statement_file.read_bytes()
            verified = sshsig.verify(sig.read_text(errors="replace"), message, NAMESPACE)
            statement = json.loads(message)
        except (OSError, ValueError):  # SignatureError is a ValueError: a bad file anchors nothing
            continue
        if (isinstance(statement, dict) and statement.get("kind") == KIND and statement.get("run_id") == run_id
                and statement.get("audit_head") is not None):
            who = f"{verified.fingerprint} (stage {statement.get('stage')})"
            anchors.append((who, statement["audit_head"]))
    return anchors
