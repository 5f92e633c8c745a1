"""The policy a run started with, read back from the run folder for the gate, CI and approvals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agent.errors import AgentError
from agent.policy.load import LoadedPolicy, load_policy


def run_policy(run_path: Path, meta: dict[str, Any]) -> LoadedPolicy:
    """The policy the run started with: its snapshot, else ``meta.policy_path`` if unchanged."""
    snapshot = run_path / "policy.yaml"
    repo = run_path.parents[2]
    source = snapshot if snapshot.exists() else repo / str(meta.get("policy_path") or "")
    if not source.is_file():
        raise AgentError(f"run {run_path.name} has no policy snapshot or policy_path; restore one")
    loaded = load_policy(source)
    if loaded.sha256 != meta["policy_sha256"]:
        raise AgentError(
            f"policy {source} is not the one run {run_path.name} started with "
            f"(sha256 {loaded.sha256[:12]} != {str(meta['policy_sha256'])[:12]}); restore it"
        )
    return loaded
