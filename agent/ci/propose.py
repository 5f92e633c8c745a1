"""``agent ci propose``: run the graph unattended, commit the proposal record, push, report.

Every stage is approved provisionally (it stays on branch ``agent/RUN``); the CI key signs the
stages policy lets CI approve alone. Nothing reaches the target branch here: that is
``agent ci apply``'s job, after people have signed.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.approval.statement import patch_sha256
from agent.ci import artifacts
from agent.ci.gitops import check_remote, current_branch, git
from agent.ci.layout import write_record
from agent.ci.sign import ci_key_path, ci_reviewer
from agent.errors import AgentError
from agent.llm.base import ChatModel
from agent.policy.snapshot import run_policy
from agent.rewrites import strategy_from_goal
from agent.rundir import read_meta
from agent.runs.session import Terminal, start
from agent.sandbox.base import Runner
from agent.vcs.target import resolve_target

NOTHING_PASSED = 4


@dataclass
class Proposal:
    run_id: str
    pushed: bool
    artifacts_dir: Path
    stages: list[artifacts.StageInfo]


def goal_from_issue(body: str) -> str:
    """An issue body as a goal: its title line (Markdown heading marks dropped), then its text."""
    lines = body.strip().splitlines()
    if not lines:
        raise AgentError("the issue body is empty: write the goal in the issue, or pass --goal")
    title = re.sub(r"^#+\s*", "", lines[0]).strip()
    rest = "\n".join(lines[1:]).strip()
    return f"{title}\n\n{rest}" if rest else title


def plain_terminal(reviewer: Any) -> Terminal:
    """Lines on stdout, no live status and no questions: CI logs are files, not screens."""

    def show(line: str) -> None:
        print(line, flush=True)

    @contextmanager
    def busy(what: str) -> Iterator[object]:
        print(f"{what} ...", flush=True)
        yield None

    return Terminal(show=show, busy=busy, reviewer=reviewer)


def _target(repo: Path, target: str | None) -> str:
    name = target or current_branch(repo)
    if not name:
        raise AgentError(f"{repo} is on a detached HEAD: pass --target BRANCH (the branch to land the run on)")
    if not git(repo, "rev-parse", "--verify", "-q", f"refs/heads/{name}", check=False):
        raise AgentError(f"{repo} has no branch '{name}': pass --target BRANCH")
    if git(repo, "rev-parse", f"refs/heads/{name}") != git(repo, "rev-parse", "HEAD"):
        raise AgentError(f"HEAD is not at the tip of '{name}': check out {name} before proposing")
    return name


def propose(
    path: Path,
    goal: str,
    remote: str = "origin",
    artifacts_dir: Path | None = None,
    ci_key: Path | None = None,
    target: str | None = None,
    overrides: dict[str, Any] | None = None,
    model: ChatModel | None = None,
    runner: Runner | None = None,
) -> Proposal:
    """Plan, propose and verify every stage, record and push the proposal, write the artifacts."""
    repo = resolve_target(path, say=lambda line: print(line, flush=True))
    check_remote(repo, remote)
    branch = _target(repo, target)
    key = ci_key_path(ci_key, repo)
    term = plain_terminal(ci_reviewer(repo, key, lambda line: print(line, flush=True)))
    overrides = dict(overrides or {})
    overrides["strategy"] = overrides.get("strategy") or strategy_from_goal(goal)  # as 'agent refine'
    files, state = start(repo, goal, term, overrides, model=model, runner=runner, mode="ci-propose")
    meta = {**read_meta(files.dir), "target": branch}
    policy = run_policy(files.dir, meta)
    infos = artifacts.collect(files.dir, state, meta, policy)
    applied = [
        {"stage": o["stage"], "title": o["title"], "commit": o["commit"],
         "patch_sha256": patch_sha256(files.stage_dir(o["stage"]).joinpath("patch.diff").read_bytes())}
        for o in state.get("outcomes", []) if o["status"] == "applied"
    ]
    pushed = False
    if applied:
        write_record(files.worktree, files.dir, meta, applied, key)
        git(repo, "push", "-q", remote, f"refs/heads/agent/{files.run_id}:refs/heads/agent/{files.run_id}")
        pushed = True
        print(f"Pushed branch agent/{files.run_id} to {remote}", flush=True)
    dest = artifacts_dir or files.dir / "artifacts"
    artifacts.write_all(dest, files.dir, meta, infos, policy, remote, pushed)
    print(f"Artifacts in {dest}", flush=True)
    if not pushed:
        raise AgentError(
            f"run {files.run_id}: no stage passed its checks, nothing was pushed; see {dest / 'report.md'}",
            exit_code=NOTHING_PASSED,
        )
    return Proposal(files.run_id, pushed, dest, infos)


def main_goal(goal: str | None, goal_file: Path | None, issue_body: Path | None) -> str:
    """Exactly one of --goal, --goal-file, --issue-body ('-' reads stdin for the files)."""
    given = [g for g in (goal, goal_file, issue_body) if g is not None]
    if len(given) != 1:
        raise AgentError("give exactly one of --goal TEXT, --goal-file FILE, --issue-body FILE", exit_code=2)

    def read(p: Path) -> str:
        try:
            return sys.stdin.read() if str(p) == "-" else p.read_text()
        except OSError as ex:
            raise AgentError(f"cannot read {p} ({ex.strerror}); pass a readable file") from None

    if goal is not None:
        return goal
    if goal_file is not None:
        return read(goal_file).strip()
    assert issue_body is not None
    return goal_from_issue(read(issue_body))
