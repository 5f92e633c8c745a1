"""Real git repositories in temp dirs, built from the readable fixture folders."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
        cwd=repo, check=True, capture_output=True,
    )


@pytest.fixture
def git() -> Callable[..., None]:
    """``git(repo, "mv", "a", "b")``: run git in ``repo`` with a fixed identity."""
    return _git


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENT_HOME", str(tmp_path / "agent-home"))
    monkeypatch.delenv("AGENT_TOKENIZER_GGUF", raising=False)


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[..., Path]:
    """``make_repo("c_project")`` copies a fixture into a committed git repo; ``None``: empty."""

    def make(fixture: str | None = None, name: str = "repo") -> Path:
        repo = tmp_path / name
        if fixture:
            shutil.copytree(FIXTURES / fixture, repo)
        else:
            repo.mkdir()
        _git(repo, "init", "-q")
        if fixture:
            _git(repo, "add", "-A")
            _git(repo, "commit", "-qm", "fixture")
        return repo

    return make


@pytest.fixture
def approx() -> Callable[[str], int]:
    """A deterministic stand-in tokenizer: one token per 4 characters."""
    return lambda text: (len(text) + 3) // 4
