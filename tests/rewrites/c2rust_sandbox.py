"""The Docker sandbox a C-to-Rust run uses, for the strategy's tests: they run where users run
it, so a toolchain missing from the image fails here first."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.errors import AgentError
from agent.sandbox.base import Runner
from agent.sandbox.factory import open_runner


def c2rust_runner(repo: Path) -> Runner:
    """The runner ``agent refine --strategy c2rust`` opens on ``repo``; skips without Docker or
    without the image (the test set-up builds it)."""
    try:
        return open_runner("docker", repo=repo, strategy="c2rust")
    except AgentError as err:
        pytest.skip(f"no Docker sandbox for C to Rust: {err}")
