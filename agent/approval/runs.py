"""Where a run's files live and how to read them (the graph writes them; approval reads)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from agent.errors import AgentError
from agent.home import run_index_dir
from agent.policy.load import LoadedPolicy, load_policy


def run_dir(run: str, repo: Path | None) -> Path:
    """``REPO/.agent/runs/RUN``: from --repo, else the run index, else the current directory."""
    if "/" in run or run in ("", ".", ".."):
        raise AgentError(f"'{run}' is not a run id; see 'agent runs'")
    if repo is None:
        index = run_index_dir() / run
        repo = Path(index.read_text().strip()) if index.is_file() else Path.cwd()
    path = repo / ".agent" / "runs" / run
    if not path.is_dir():
        raise AgentError(f"no run '{run}' in {repo}; pass --repo PATH or check 'agent runs'")
    return path


def stage_dir(run_path: Path, stage: int) -> Path:
    """``stages/NN``: NN is the stage number, the same number statements sign."""
    return run_path / "stages" / f"{stage:02d}"


def read_json(path: Path, what: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError as ex:
        raise AgentError(f"{what} missing at {path}; the run is incomplete") from ex
    except (OSError, ValueError) as ex:
        raise AgentError(f"{what} at {path} is not valid JSON; restore it from the run") from ex
    if not isinstance(data, dict):
        raise AgentError(f"{what} at {path} is not a JSON object; restore it from the run")
    return data


def read_meta(run_path: Path) -> dict[str, Any]:
    meta = read_json(run_path / "meta.json", "run metadata")
    missing = [k for k in ("run_id", "base_commit", "policy_sha256") if not meta.get(k)]
    if missing:
        raise AgentError(f"{run_path}/meta.json lacks {', '.join(missing)}; the run is incomplete")
    return meta


def snapshot_policy(run_path: Path, loaded: LoadedPolicy) -> Path:
    """Keep the exact policy in force at run start, so later edits to the file cannot rewrite it."""
    target = run_path / "policy.yaml"
    target.write_bytes(loaded.path.read_bytes())
    if load_policy(target).sha256 != loaded.sha256:
        raise AgentError(f"policy {loaded.path} changed while the run started; start the run again")
    return target


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
