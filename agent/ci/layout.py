"""The proposal record committed on branch ``agent/RUN``: ``.agent-approvals/RUN/``.

It mirrors a run directory (``meta.json``, ``policy.yaml``, ``stages/NN/patch.diff``,
``verify.json``, ``statement.json``, ``approvals/<fp>.sig|json``), so the approval code reads it
as it reads ``REPO/.agent/runs/RUN``. ``agent ci apply`` needs nothing else, which is what lets
it run in a fresh clone. Nothing under ``.agent-approvals/`` ever lands on the target branch.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from agent.ci.gitops import IDENTITY, blob, git
from agent.errors import AgentError

ROOT = ".agent-approvals"
STAGE_FILES = ("patch.diff", "verify.json", "statement.json")


def record_path(run_id: str) -> str:
    return f"{ROOT}/{run_id}"


def write_record(worktree: Path, run_dir: Path, meta: dict[str, Any], stages: list[dict[str, Any]]) -> str:
    """Copy the run's meta, policy snapshot and applied stages into the worktree and commit them.

    ``stages`` are the applied stages in order: ``{"stage", "title", "commit", "patch_sha256"}``.
    Returns the new commit, the tip of the proposal branch.
    """
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
    stages = meta["stages"]
    if not isinstance(stages, list) or not all(
        isinstance(s, dict) and isinstance(s.get("stage"), int) and not isinstance(s["stage"], bool) for s in stages
    ):
        raise AgentError(f"{run_path}/meta.json: stages must be a list of {{stage: N, ...}}; the record is damaged",
                         exit_code=3)
    return dict(meta)
