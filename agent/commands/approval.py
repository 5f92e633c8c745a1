"""Commands of the approval room: review, approve, verify, audit, keys.

Exit status: 0 done; 1 a user error (no run, broken policy, no key); 3 a verification
failed (a stage not properly approved, or the audit log was tampered with).
"""

from __future__ import annotations

from pathlib import Path

import typer

from agent.approval import audit
from agent.approval.approve import approve_stage
from agent.approval.keys import NAMESPACE, init_key
from agent.approval.run_verify import signed_anchors, verify_run
from agent.errors import AgentError
from agent.rundir import find_run
from agent.sshsig import public_line

FAILED = 3
audit_app = typer.Typer(help="Check the run's hash-chained audit log.", no_args_is_help=True)
keys_app = typer.Typer(help="Manage approval signing keys.", no_args_is_help=True)

RepoOpt = typer.Option(None, "--repo", help="Repository of the run (default: from the run index).")
KeyOpt = typer.Option(None, "--key", help="ed25519 private key (default: agent's, then git's).")


def review(
    run: str = typer.Argument(..., help="Run id."),
    repo: Path | None = RepoOpt,
    no_color: bool = typer.Option(False, "--no-color", help="Plain text, no colour."),
) -> None:
    """Reopen a run's review screen for the stage waiting at the gate, and carry the run on."""
    from agent.commands.runs import resume

    run_path = find_run(run, repo).dir
    if not (run_path / "pending.json").is_file():
        print(f"nothing pending for run {run}: no stage is waiting for review")
        return
    resume(run, run_path.parents[2], no_color)


def approve(
    run: str = typer.Argument(..., help="Run id."),
    stage: int = typer.Option(..., "--stage", help="Stage number (stages/NN)."),
    key: Path | None = KeyOpt,
    repo: Path | None = RepoOpt,
) -> None:
    """Sign a stage's approval without the interactive screen (also in a checkout of agent/RUN)."""
    from agent.ci.layout import record_path
    from agent.ci.sign import approve_in_checkout

    checkout = (repo or Path.cwd()).resolve()
    if not (checkout / ".agent" / "runs" / run).is_dir() and (checkout / record_path(run)).is_dir():
        sig, signer = approve_in_checkout(checkout, run, stage, key)  # a CI proposal's branch
        print(f"stage {stage} approved by {signer}; signature {sig}")
        print(f"next: git add {record_path(run)} && git commit -m 'approve run {run}' && git push")
        return
    sig, signer = approve_stage(find_run(run, repo).dir, stage, key)
    print(f"stage {stage} approved by {signer}; signature {sig}")


def verify(
    run: str = typer.Argument(..., help="Run id."),
    repo: Path | None = RepoOpt,
    policy: Path | None = typer.Option(
        None, "--policy", help="Verify against this policy file (default: the one committed at the run's base)."
    ),
    no_audit: bool = typer.Option(False, "--no-audit", help="Do not require or check the run's audit log."),
) -> None:
    """Check branch agent/RUN: each commit a signed stage, each stage's signatures enough (exit 3 if not)."""
    run_path = find_run(run, repo).dir
    verdict = verify_run(run_path, policy, check_audit=not no_audit)
    for line in verdict.lines:
        print(line)
    if verdict.problems:
        raise AgentError(f"run {run} failed verification ({len(verdict.problems)} problem(s) above); "
                         "do not trust or merge agent/" + run, exit_code=FAILED)
    if not verdict.stages:
        print(f"run {run} has no applied stages; nothing to verify")
        return
    print(f"all {len(verdict.stages)} applied stage(s) verified; plain check: ssh-keygen -Y verify "
          f"-f {run_path / 'allowed_signers'} -I NAME -n {NAMESPACE} -s FILE.sig < FILE.json")


@audit_app.command("verify")
def audit_verify(
    run: str = typer.Argument(..., help="Run id."),
    repo: Path | None = RepoOpt,
) -> None:
    """Detect edited, deleted, reordered, inserted or cut-off audit entries (exit 3 if any)."""
    run_path = find_run(run, repo).dir
    log = run_path / "audit.jsonl"
    report = audit.verify_log(log)
    if not report.ok:
        raise AgentError(f"audit log {log}: {report.problem}", exit_code=FAILED)
    anchors = signed_anchors(run_path, run_path.name)
    if (why := audit.anchor_problem(report.entries, anchors)) is not None:
        raise AgentError(f"audit log {log}: {why}", exit_code=FAILED)
    head = report.entries[-1]["hash"][:12] if report.entries else "-"
    signed = max((a[1]["seq"] for a in anchors), default=0)
    cover = f"signed by approvals up to entry #{signed}" if signed else "no approval signs any of it yet"
    print(f"audit log ok: {len(report.entries)} entries, chain intact (head {head}), {cover}")


@keys_app.command("init")
def keys_init(
    name: str = typer.Option("", "--name", help="Your identity, e.g. an email (key comment)."),
) -> None:
    """Make an ed25519 signing key for approvals (kept if one exists)."""
    key, created = init_key(name or None)
    state = "created" if created else "you already have"
    print(f"{state} key {key.path} (fingerprint {key.fingerprint})")
    ident = name or "you@example.com"
    print("Add yourself to the policy (policies/default.yaml), under signers:")
    print(f"  - name: {ident}\n    key: {public_line(key.public_key)}\n    paths: [\"**\"]")
    print(f"allowed_signers line: {ident} namespaces=\"{NAMESPACE}\" {public_line(key.public_key)}")
