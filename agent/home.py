"""Where agent keeps its own files on this machine (models, scratch workspaces, run index)."""

from __future__ import annotations

import os
from pathlib import Path


def data_home() -> Path:
    """Root for agent's per-user data; ``AGENT_HOME`` overrides it (tests use a temp dir)."""
    env = os.environ.get("AGENT_HOME")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "agent"


def models_dir() -> Path:
    """Assembled model files; ``AGENT_MODELS_DIR`` overrides so tests can share one copy."""
    env = os.environ.get("AGENT_MODELS_DIR")
    return Path(env).expanduser() if env else data_home() / "models"


def scratch_workspaces_dir() -> Path:
    return data_home() / "workspaces"


def run_index_dir() -> Path:
    """Index of run id -> repository, so ``agent resume RUN`` works from any directory."""
    return data_home() / "runs"
