"""Git: the target repository, the run's worktree and branch, checkpoints, rollback, the run lock."""
