"""``agent ci apply RUN``: land a proposal on the target branch only when everything holds.

It trusts nothing on the proposal branch by itself. The base must be the target's tip (so the
policy at the base is the target's own), the record's policy must be that policy, the stage line
is the one trusted signers signed (``proposal/``), never the record's own list; the branch must
hold exactly those stage commits, each its signed patch applied to the stage before, then only
signature commits; every stage's approvals must bind its parent and satisfy the policy, and the
checks must pass on the final tree in the sandbox. Then the target is fast-forwarded to the last
stage commit; the record and the signatures stay on the proposal branch.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.approval.verify import verify_stage
from agent.ci.gitops import check_remote, git
from agent.ci.layout import extract_record, line_problems, read_record_meta, signed_stage_line
from agent.config import Settings, load_settings
from agent.errors import AgentError
from agent.policy.load import SHIPPED_DEFAULT, LoadedPolicy
from agent.policy.snapshot import run_policy
from agent.runs.session import open_runner
from agent.sandbox.base import Limits, Runner, TestReport
from agent.sandbox.checks import check_command_exists, detect_test_command, run_checks
from agent.vcs.git import blob, ok

VERIFY_FAILED = 3
CHECKS_FAILED = 4


class Refused(AgentError):
    """The proposal does not hold; ``problems`` are the one-line reasons, printed before this."""

    exit_code = VERIFY_FAILED

    def __init__(self, message: str, problems: list[str], exit_code: int = VERIFY_FAILED) -> None:
        super().__init__(message, exit_code)
        self.problems = problems


@dataclass
class Landed:
    run_id: str
    target: str
    commit: str
    stages: list[int]
    checks: str


def _fetch(repo: Path, remote: str, branch: str, ref: str) -> str:
    if not ok(repo, "fetch", "-q", "--no-tags", remote, f"+refs/heads/{branch}:{ref}"):
        raise AgentError(f"cannot fetch branch {branch} from {remote}: check the run id and --remote")
    return git(repo, "rev-parse", ref)


def _policy_problem(repo: Path, base: str, meta: dict[str, Any]) -> str | None:
    """The record's policy must be the target's own at the base, not one brought by the branch."""
    trusted = blob(repo, base, "policies/default.yaml") or SHIPPED_DEFAULT.read_bytes()
    if hashlib.sha256(trusted).hexdigest() != meta["policy_sha256"]:
        return f"the record's policy is not policies/default.yaml at base {base[:10]} (policy swapped?)"
    return None


def _record_policy(run_path: Path, meta: dict[str, Any], problems: list[str]) -> LoadedPolicy | None:
    try:
        return run_policy(run_path, meta)
    except AgentError as ex:
        problems.append(str(ex))
        return None


def _checks(tree: Path, command: list[str], settings: Settings, runner: Runner | None, limits: Limits) -> TestReport:
    """The test command on the final tree, in the configured sandbox unless a runner is given."""
    if runner is not None:
        return run_checks(tree, command, runner, limits)
    if settings.sandbox == "none":
        check_command_exists(command)
    with open_runner(settings, tree) as own:
        return run_checks(tree, command, own, limits)


def _verify(repo: Path, run_id: str, tip: str, run_path: Path, meta: dict[str, Any],
            problems: list[str]) -> tuple[list[dict[str, Any]], LoadedPolicy | None]:
    """Every reason the proposal does not hold goes to ``problems``; (signed stages, policy)."""
    base = meta["base_commit"]
    if meta["run_id"] != run_id:
        problems.append(f"the record on agent/{run_id} belongs to run {meta['run_id']} (copied?)")
    if (why := _policy_problem(repo, base, meta)) is not None:
        problems.append(why)
    loaded = _record_policy(run_path, meta, problems)
    if loaded is None:
        return [], None
    stages = signed_stage_line(run_path, loaded.policy, meta, problems)
    if stages:
        problems += line_problems(repo, run_path, base, stages, tip)
    for stage in stages:
        verdict = verify_stage(run_path, stage["stage"], meta, loaded.policy, loaded.sha256,
                               parent=stage["parent_commit"])
        problems += [f"stage {stage['stage']}: {reason}" for reason in verdict.reasons]
    return stages, loaded


def apply_run(path: Path, run_id: str, remote: str = "origin", target: str | None = None,
              overrides: dict[str, Any] | None = None, runner: Runner | None = None) -> Landed:
    """Verify the pushed proposal of ``run_id`` and fast-forward the target on ``remote``."""
    if not ok(path, "rev-parse", "--git-dir"):
        raise AgentError(f"{path} is not a git repository: run 'agent ci apply' in a clone of the target")
    repo = Path(git(path, "rev-parse", "--show-toplevel"))
    check_remote(repo, remote)
    ns = f"refs/agent-ci/{run_id}"
    scratch = Path(tempfile.mkdtemp(prefix=f"agent-ci-{run_id}-"))
    tree = scratch / "tree"
    try:
        tip = _fetch(repo, remote, f"agent/{run_id}", f"{ns}/proposal")
        run_path = extract_record(repo, tip, run_id, scratch / "record")
        meta = read_record_meta(run_path)
        target = target or meta.get("target")
        if not target:
            raise AgentError("the record names no target branch: pass --target BRANCH")
        target_tip = _fetch(repo, remote, target, f"{ns}/target")
        base = meta["base_commit"]
        if target_tip != base:
            raise Refused(f"{target} is at {target_tip[:10]}, run {run_id} was proposed on {base[:10]}: "
                          "propose again from the current tip", [f"{target} moved since the proposal"])
        git(repo, "worktree", "add", "-q", "--detach", str(tree), base)
        settings = load_settings(tree, overrides)  # the target's own settings, not the branch's
        command = settings.test_command or detect_test_command(tree)
        problems: list[str] = []
        stages, loaded = _verify(repo, run_id, tip, run_path, meta, problems)
        if problems or loaded is None:
            for line in problems:
                print(f"refused: {line}", file=sys.stderr)
            raise Refused(f"run {run_id} not applied: {len(problems)} problem(s) above; "
                          f"{target} left at {base[:10]}", problems)
        last = stages[-1]["commit"]
        git(tree, "reset", "-q", "--hard", last)
        report = _checks(tree, command, settings, runner, loaded.policy.sandbox.limits())
        if not report.ok:
            raise Refused(f"checks failed on the final tree ({report.summary()}); {target} left at {base[:10]}",
                          [report.summary()], exit_code=CHECKS_FAILED)
        git(repo, "push", "-q", remote, f"{last}:refs/heads/{target}")
        return Landed(run_id, target, last, [s["stage"] for s in stages], report.summary())
    finally:
        if tree.exists():
            git(repo, "worktree", "remove", "--force", str(tree), check=False)
        for ref in ("proposal", "target"):
            git(repo, "update-ref", "-d", f"{ns}/{ref}", check=False)
        shutil.rmtree(scratch, ignore_errors=True)
