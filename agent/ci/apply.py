"""``agent ci apply RUN``: land a proposal on the target branch only when everything holds.

It trusts nothing on the proposal branch by itself. The base must be the target's tip (so the
policy at the base is the target's own), the record's policy must be that policy, every stage
commit must be exactly its signed patch applied to the stage before, only signature commits may
follow, every stage's signatures must satisfy the policy, and the checks must pass on the final
tree in the sandbox. Then the target is fast-forwarded to the last stage commit; the record and
the signatures stay on the proposal branch.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.approval.runs import run_policy
from agent.approval.verify import verify_stage
from agent.ci.gitops import blob, changed_files, check_remote, git, ok
from agent.ci.layout import ROOT, extract_record, read_record_meta
from agent.config import Settings, load_settings
from agent.errors import AgentError
from agent.policy.load import SHIPPED_DEFAULT, LoadedPolicy
from agent.runs.session import open_runner
from agent.sandbox.base import Limits, Runner, TestReport
from agent.sandbox.checks import check_command_exists, detect_test_command, run_checks

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


def _stage_commits(repo: Path, base: str, tip: str, problems: list[str]) -> list[str]:
    """Commits base..tip that change the code; record/signature commits must come after them."""
    if not ok(repo, "merge-base", "--is-ancestor", base, tip):
        problems.append(f"the proposal branch does not grow from its base {base[:10]}")
        return []
    stages: list[str] = []
    record_seen = False
    for line in git(repo, "rev-list", "--reverse", "--parents", f"{base}..{tip}").splitlines():
        commit, *parents = line.split()
        if len(parents) != 1:
            problems.append(f"commit {commit[:10]} is a merge; the proposal branch must be linear")
            continue
        paths = changed_files(repo, commit)
        in_record = [p for p in paths if p.startswith(ROOT + "/")]
        if in_record and len(in_record) != len(paths):
            problems.append(f"commit {commit[:10]} mixes signatures with code changes; keep them apart")
        elif in_record:
            record_seen = True
        elif record_seen:
            problems.append(f"commit {commit[:10]} changes {paths[0] if paths else 'nothing'} after the proposal; "
                            "no signature covers it (tampered branch?)")
        else:
            stages.append(commit)
    return stages


def _policy_problem(repo: Path, base: str, meta: dict[str, Any]) -> str | None:
    """The record's policy must be the target's own at the base, not one brought by the branch."""
    trusted = blob(repo, base, "policies/default.yaml") or SHIPPED_DEFAULT.read_bytes()
    if hashlib.sha256(trusted).hexdigest() != meta["policy_sha256"]:
        return f"the record's policy is not policies/default.yaml at base {base[:10]} (policy swapped?)"
    return None


def _replay(repo: Path, tree: Path, run_path: Path, stages: list[dict[str, Any]], commits: list[str],
            problems: list[str]) -> None:
    """Apply each signed patch in turn; each result must be the tree of its stage commit."""
    for stage, commit in zip(stages, commits, strict=True):
        n = stage["stage"]
        patch = run_path / "stages" / f"{n:02d}" / "patch.diff"
        if not patch.is_file():
            problems.append(f"stage {n}: the record has no patch.diff")
            return
        if not ok(tree, "apply", "--index", "--whitespace=nowarn", str(patch)):
            problems.append(f"stage {n}: its signed patch does not apply to the stage before")
            return
        if git(tree, "write-tree") != git(repo, "rev-parse", f"{commit}^{{tree}}"):
            problems.append(f"stage {n}: commit {commit[:10]} is not its signed patch applied to the stage before "
                            "(the branch was changed after the proposal)")
            return
        git(tree, "reset", "-q", "--hard", commit)


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


def _verify(repo: Path, run_id: str, tip: str, run_path: Path, meta: dict[str, Any], tree: Path,
            problems: list[str]) -> tuple[list[str], LoadedPolicy | None]:
    """Every reason the proposal does not hold goes to ``problems``; (stage commits, policy)."""
    base = meta["base_commit"]
    if meta["run_id"] != run_id:
        problems.append(f"the record on agent/{run_id} belongs to run {meta['run_id']} (copied?)")
    if (why := _policy_problem(repo, base, meta)) is not None:
        problems.append(why)
    stages: list[dict[str, Any]] = list(meta["stages"])
    commits = _stage_commits(repo, base, tip, problems)
    if not stages:
        problems.append("the record lists no stages; nothing to apply")
    elif len(commits) != len(stages):
        problems.append(f"the branch has {len(commits)} stage commit(s), the record lists {len(stages)}")
    if not problems:
        _replay(repo, tree, run_path, stages, commits, problems)
    loaded = _record_policy(run_path, meta, problems)
    if loaded is not None:
        for stage in stages:
            verdict = verify_stage(run_path, stage["stage"], meta, loaded.policy, loaded.sha256)
            problems += [f"stage {stage['stage']}: {reason}" for reason in verdict.reasons]
    return commits, loaded


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
        commits, loaded = _verify(repo, run_id, tip, run_path, meta, tree, problems)
        if problems or loaded is None:
            for line in problems:
                print(f"refused: {line}", file=sys.stderr)
            raise Refused(f"run {run_id} not applied: {len(problems)} problem(s) above; "
                          f"{target} left at {base[:10]}", problems)
        report = _checks(tree, command, settings, runner, loaded.policy.sandbox.limits())
        if not report.ok:
            raise Refused(f"checks failed on the final tree ({report.summary()}); {target} left at {base[:10]}",
                          [report.summary()], exit_code=CHECKS_FAILED)
        git(repo, "push", "-q", remote, f"{commits[-1]}:refs/heads/{target}")
        return Landed(run_id, target, commits[-1], [s["stage"] for s in meta["stages"]], report.summary())
    finally:
        if tree.exists():
            git(repo, "worktree", "remove", "--force", str(tree), check=False)
        for ref in ("proposal", "target"):
            git(repo, "update-ref", "-d", f"{ns}/{ref}", check=False)
        shutil.rmtree(scratch, ignore_errors=True)
