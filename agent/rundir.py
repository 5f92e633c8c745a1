"""Where a run's files live: ``REPO/.agent/runs/RUN/`` (excluded from git), and the
per-user index that maps a run id to its repository. The one module that locates runs, their
stage folders and their metadata; the graph writes them, approval and CI read them."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import time
from pathlib import Path
from typing import Any

from agent.errors import AgentError
from agent.home import run_index_dir

STAGING = ".new"


def new_run_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(2)


def write_atomic(path: Path, text: str) -> None:
    """Write via a temp file and rename, so a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


class RunFiles:
    def __init__(self, repo: Path, run_id: str) -> None:
        self.repo = repo
        self.run_id = run_id
        self.dir = repo / ".agent" / "runs" / run_id

    @property
    def staging(self) -> Path:
        """Where a new run's first files are written before the folder is renamed into place."""
        return self.dir.with_name(f".{self.run_id}{STAGING}")

    @property
    def worktree(self) -> Path:
        return self.dir / "worktree"

    @property
    def checkpoints_db(self) -> Path:
        return self.dir / "checkpoints.sqlite"

    @property
    def meta_path(self) -> Path:
        return self.dir / "meta.json"

    @property
    def pending_path(self) -> Path:
        return self.dir / "pending.json"

    def stage_dir(self, number: int) -> Path:
        return stage_dir(self.dir, number)

    def write_json(self, name: str, data: Any) -> Path:
        path = self.dir / name
        write_atomic(path, json.dumps(data, indent=2, sort_keys=True) + "\n")
        return path

    def meta(self) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads(self.meta_path.read_text())
        except (OSError, json.JSONDecodeError) as err:
            raise AgentError(f"run {self.run_id}: cannot read {self.meta_path} ({err})") from None
        return data

    def register(self) -> None:
        """Record run id -> repository so ``agent resume RUN`` works from any directory."""
        write_atomic(run_index_dir() / self.run_id, str(self.repo) + "\n")


def stage_dir(run_path: Path, stage: int) -> Path:
    """``stages/NN``: NN is the stage number, the same number statements sign."""
    return run_path / "stages" / f"{stage:02d}"


def find_run(run_id: str, repo: Path | None = None) -> RunFiles:
    """Locate a run by id: in ``repo`` if given, else through the per-user index, else in the
    repository of the current directory."""
    if "/" in run_id or run_id in ("", ".", ".."):
        raise AgentError(f"'{run_id}' is not a run id; see 'agent runs'")
    if repo is None:
        entry = run_index_dir() / run_id
        repo = Path(entry.read_text().strip()) if entry.is_file() else Path.cwd()
    files = RunFiles(repo.resolve(), run_id)
    if not files.dir.is_dir():
        raise AgentError(f"no run '{run_id}' in {repo}; pass --repo PATH or check 'agent runs'")
    return files


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
    """A run's ``meta.json``, refused when it lacks what verification relies on."""
    meta = read_json(run_path / "meta.json", "run metadata")
    missing = [k for k in ("run_id", "base_commit", "policy_sha256") if not meta.get(k)]
    if missing:
        raise AgentError(f"{run_path}/meta.json lacks {', '.join(missing)}; the run is incomplete")
    return meta


def clear_abandoned(repo: Path) -> None:
    """Remove run folders a start killed before their rename left behind (call under the lock)."""
    root = repo / ".agent" / "runs"
    for path in root.glob(f".*{STAGING}") if root.is_dir() else []:
        shutil.rmtree(path, ignore_errors=True)


def list_runs(repo: Path) -> list[RunFiles]:
    root = repo / ".agent" / "runs"
    if not root.is_dir():
        return []
    return [RunFiles(repo, p.name) for p in sorted(root.glob("[!.]*")) if (p / "meta.json").is_file()]
