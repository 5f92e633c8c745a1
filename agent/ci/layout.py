"""The proposal record committed on branch ``agent/RUN``: ``.agent-approvals/RUN/``.

It mirrors a run directory (``meta.json``, ``policy.yaml``, ``stages/NN/patch.diff``,
``verify.json``, ``statement.json``, ``approvals/<fp>.sig|json``), so the approval code reads it
as it reads ``REPO/.agent/runs/RUN``, plus ``proposal/<fp>.sig|json``: signatures over the whole
stage line (each stage's commit, parent and patch), the only stage list ``agent ci apply`` trusts.
``agent ci apply`` needs nothing else, which is what lets it run in a fresh clone. Nothing under
``.agent-approvals/`` ever lands on the target branch.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from agent.approval.line import RECORD_ROOT, is_patch_on, resolve, stage_commits
from agent.approval.statement import PROPOSAL_KIND, patch_sha256, proposal_fields, sign_proposal
from agent.approval.verify import Rejected, check_signed
from agent.ci.gitops import git
from agent.errors import AgentError
from agent.policy.model import Policy
from agent.vcs.git import IDENTITY, blob

ROOT = RECORD_ROOT
STAGE_KEYS = ("commit", "parent_commit", "patch_sha256")
STAGE_FILES = ("patch.diff", "verify.json", "statement.json")


def record_path(run_id: str) -> str:
    return f"{ROOT}/{run_id}"


def write_record(worktree: Path, run_dir: Path, meta: dict[str, Any], stages: list[dict[str, Any]],
                 ci_key: Path | None = None) -> str:
    """Copy the run's meta, policy snapshot and applied stages into the worktree and commit them;
    with ``ci_key``, CI signs the stage line (``proposal/``).

    ``stages`` are the applied stages in order: ``{"stage", "title", "commit", "patch_sha256"}``;
    each gets its ``parent_commit`` here. Returns the new commit, the tip of the proposal branch.
    """
    stages = [{**s, "parent_commit": resolve(worktree, f"{s['commit']}^")} for s in stages]
    dest = worktree / record_path(meta["run_id"])
    shutil.rmtree(dest, ignore_errors=True)
    (dest / "stages").mkdir(parents=True)
    keep = ("run_id", "base_commit", "goal", "created", "test_command", "policy_sha256", "mode", "target")
    record = {k: meta[k] for k in keep if k in meta} | {"stages": stages}
    (dest / "meta.json").write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    shutil.copyfile(run_dir / "policy.yaml", dest / "policy.yaml")
    for stage in stages:
        name = f"{stage['stage']:02d}"
        src, out = run_dir / "stages" / name, dest / "stages" / name
        out.mkdir()
        for file in STAGE_FILES:
            if (src / file).is_file():
                shutil.copyfile(src / file, out / file)
        if (src / "approvals").is_dir():
            shutil.copytree(src / "approvals", out / "approvals")
    if ci_key is not None:
        sign_proposal(dest, proposal_fields(meta["run_id"], meta["base_commit"], meta["policy_sha256"], stages), ci_key)
    git(worktree, "add", "-f", "--", record_path(meta["run_id"]))
    git(worktree, *IDENTITY, "commit", "-q", "-m",
        f"agent: proposal record of run {meta['run_id']}\n\nSign with 'agent ci approve'; never merged.")
    return git(worktree, "rev-parse", "HEAD")


def extract_record(repo: Path, rev: str, run_id: str, dest: Path) -> Path:
    """Write the record as committed at ``rev`` into ``dest/RUN`` (a run directory) and return it."""
    prefix = record_path(run_id) + "/"
    names = [n for n in git(repo, "ls-tree", "-r", "-z", "--name-only", rev, "--", prefix).split("\0") if n]
    if f"{prefix}meta.json" not in names:
        raise AgentError(
            f"{rev} has no {prefix}meta.json: it is not a proposal of 'agent ci propose' for run {run_id}",
            exit_code=3,
        )
    out = dest / run_id
    for name in names:
        target = out / name[len(prefix):]
        target.parent.mkdir(parents=True, exist_ok=True)
        data = blob(repo, rev, name)
        if data is None:
            raise AgentError(f"cannot read {name} at {rev}; fetch the proposal branch again", exit_code=3)
        target.write_bytes(data)
    return out


def read_record_meta(run_path: Path) -> dict[str, Any]:
    """The record's meta.json; ``stages`` lists the applied stages in order."""
    try:
        meta = json.loads((run_path / "meta.json").read_text())
    except ValueError as ex:
        raise AgentError(f"{run_path}/meta.json is not valid JSON; the proposal record is damaged", exit_code=3) from ex
    missing = [k for k in ("run_id", "base_commit", "policy_sha256", "stages") if k not in meta]
    if missing:
        raise AgentError(f"{run_path}/meta.json lacks {', '.join(missing)}; the record is damaged", exit_code=3)
    if not valid_stage_list(meta["stages"]):
        raise AgentError(f"{run_path}/meta.json: stages must be a list of {{stage: N, commit, parent_commit, "
                         "patch_sha256}}; the record is damaged", exit_code=3)
    return dict(meta)


def valid_stage_list(stages: Any) -> bool:
    """A list of ``{stage: N, commit, parent_commit, patch_sha256}``, the shape a proposal signs."""
    return isinstance(stages, list) and all(
        isinstance(s, dict) and isinstance(s.get("stage"), int) and not isinstance(s["stage"], bool)
        and all(isinstance(s.get(k), str) for k in STAGE_KEYS)
        for s in stages
    )


def line_problems(repo: Path, run_path: Path, base: str, stages: list[dict[str, Any]], head: str) -> list[str]:
    """Why the branch ``base..head`` does not hold exactly ``stages`` (in order, each its patch on
    the stage before, then only signature commits); empty when it does."""
    problems: list[str] = []
    commits = stage_commits(repo, base, head, problems)
    got, want = [c.sha for c in commits], [s["commit"] for s in stages]
    if got != want:
        problems.append(f"the branch's stage commits ({_ids(got)}) are not the proposal's ({_ids(want)}): "
                        "stages dropped, repeated or reordered, or commits changed")
        return problems
    for stage, commit in zip(stages, commits, strict=True):
        n = stage["stage"]
        patch = run_path / "stages" / f"{n:02d}" / "patch.diff"
        if commit.parent != stage["parent_commit"]:
            problems.append(f"stage {n}: commit {commit.sha[:10]} does not sit on {stage['parent_commit'][:10]}")
        elif not patch.is_file():
            problems.append(f"stage {n}: the record has no patch.diff")
        elif patch_sha256(patch.read_bytes()) != stage["patch_sha256"]:
            problems.append(f"stage {n}: patch.diff is not the patch the proposal lists (changed after signing?)")
        elif not is_patch_on(repo, patch.read_bytes(), commit):
            problems.append(f"stage {n}: commit {commit.sha[:10]} is not its signed patch applied to the stage "
                            "before (the branch was changed after the proposal)")
    return problems


def _ids(commits: list[str]) -> str:
    return ", ".join(c[:10] for c in commits) or "none"


def signed_stage_line(
    run_path: Path, policy: Policy, meta: dict[str, Any], problems: list[str]
) -> list[dict[str, Any]]:
    """The stage line trusted signers signed (``proposal/*.sig``); never the record's own list."""
    want = {"run_id": meta["run_id"], "base_commit": meta["base_commit"], "policy_sha256": meta["policy_sha256"]}
    lines: list[tuple[str, Any]] = []
    for sig in sorted((run_path / "proposal").glob("*.sig")):
        try:
            name, statement = check_signed(sig, policy, PROPOSAL_KIND)
        except Rejected as ex:
            problems.append(f"proposal/{sig.name}: {ex}")
            continue
        wrong = [k for k, v in want.items() if statement.get(k) != v]
        if wrong:
            problems.append(f"proposal/{sig.name}: signed for another {wrong[0]} ({str(statement.get(wrong[0]))[:12]})")
        else:
            lines.append((name, statement.get("stages")))
    if not lines:
        problems.append("no trusted signature binds the proposal's stage line (proposal/*.sig): "
                        "a maintainer signs it with 'agent ci approve'")
        return []
    signed = lines[0][1]
    if not valid_stage_list(signed) or not signed:
        problems.append(f"the stage line {lines[0][0]} signed is empty or malformed")
        return []
    if any(other != signed for _, other in lines[1:]):
        problems.append("the signed stage lines disagree: " + ", ".join(name for name, _ in lines))
        return []
    return list(signed)
