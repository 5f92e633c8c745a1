"""Finding the target repository: bundled examples become repositories of their own."""

from __future__ import annotations

from pathlib import Path

from agent.vcs.target import BUNDLED_DIR, resolve_target
from tests.conftest import git


def test_bundled_example_is_copied_and_committed_once(agent_home: Path) -> None:
    said: list[str] = []
    first = resolve_target(BUNDLED_DIR / "py-inventory", say=said.append)
    assert first == agent_home / "workspaces" / "py-inventory"
    assert git(first, "status", "--porcelain") == "" and git(first, "rev-list", "--count", "HEAD") == "1"
    assert (first / "inventory" / "stock.py").is_file() and "git init" in said[0]
    assert not (BUNDLED_DIR / "py-inventory" / ".git").exists()  # our own tree holds no nested repository
    again = resolve_target(BUNDLED_DIR / "py-inventory", say=said.append)
    assert again == first and "Using the git copy" in said[1]
