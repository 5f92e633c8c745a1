"""Moving a finished run's branch back to an earlier checkpoint, on a person's request."""

from __future__ import annotations

from agent.approval.audit import append_event
from agent.errors import AgentError
from agent.rundir import RunFiles
from agent.vcs.lock import RepoLock
from agent.vcs.worktree import RunWorktree


def rollback_run(files: RunFiles, to_stage: int | None) -> list[str]:
    """Reset ``agent/RUN`` to stage ``to_stage``'s checkpoint (0: the base); returns what was undone."""
    if not (files.dir / "report.json").is_file():
        raise AgentError(f"run {files.run_id} has not finished: finish it with 'agent resume {files.run_id}' first")
    meta = files.meta()
    worktree = RunWorktree(files.repo, files.run_id, files.worktree)
    with RepoLock(files.repo, files.run_id):
        points = worktree.checkpoints()
        if not points:
            raise AgentError(f"run {files.run_id} has no applied stage to roll back")
        last = max(points)
        target = last - 1 if to_stage is None else to_stage
        if target < 0 or target >= last:
            raise AgentError(f"--to-stage must be between 0 and {last - 1} (stage {last} is the newest applied)")
        if target and target not in points:
            raise AgentError(f"stage {target} has no checkpoint; applied stages: {sorted(points)}")
        commit = points[target] if target else meta["base_commit"]
        undone = sorted(n for n in points if n > target)
        worktree.reset(commit)
        for n in undone:
            worktree.delete_checkpoint(n)
            append_event(files.dir / "audit.jsonl", files.run_id, "rolled_back",
                         {"stage": n, "to": commit, "reason": "agent rollback"})
    return [f"stage {n} ({points[n][:10]})" for n in undone]
