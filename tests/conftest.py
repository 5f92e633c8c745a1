"""Fixtures shared by every room's tests: an isolated agent home and real git repositories."""

from __future__ import annotations

import os
import shutil
import subprocess
import textwrap
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import pytest

from agent.home import models_dir
from agent.llm.registry import TEST_MODEL, ensure_bundled
from agent.runs.session import Terminal

# The recorded replies the graph tests replay are search/replace edits in JSON, so runs in tests
# (and the agent processes they start) use that edit format; a test of whole-file edits says so
# in its own settings, which win over this variable.
os.environ["AGENT_EDIT_FORMAT"] = "search-replace"

REAL_MODELS_DIR = models_dir()  # read before any test moves AGENT_HOME, so models are assembled once
ROOT = Path(__file__).resolve().parent.parent
WORKSPACES = ROOT / "workspaces"


APPROVE = {"decision": "approve", "approver": "tester", "reason": ""}


def reviewing_terminal(
    decisions: list[dict[str, Any]] | None = None,
    seen: list[dict[str, Any]] | None = None,
    show: Callable[[str], None] = lambda line: None,
) -> Terminal:
    """A terminal whose reviewer keeps each stage it is shown in ``seen`` and answers with
    ``decisions`` in order, or approves every stage when none are given."""

    def reviewer(payload: dict[str, Any]) -> dict[str, Any]:
        if seen is not None:
            seen.append(payload)
        return decisions.pop(0) if decisions is not None else dict(APPROVE)

    return Terminal(show=show, busy=lambda what: nullcontext(), reviewer=reviewer)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


def make_repo(src: Path, dest: Path) -> Path:
    """A real git repository holding a copy of ``src``, one commit on ``main``."""
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache", "build"))
    git(dest, "init", "-q", "-b", "main")
    git(dest, "add", "-A")
    git(dest, "-c", "user.name=Test", "-c", "user.email=test@example.com", "commit", "-q", "-m", "initial")
    return dest


def repo_from_texts(dest: Path, texts: dict[str, str]) -> Path:
    """A real git repository at ``dest`` holding ``texts`` (path -> indented text), one commit."""
    for rel, text in texts.items():
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        (dest / rel).write_text(textwrap.dedent(text).lstrip())
    git(dest.parent, "init", "-q", "-b", "main", str(dest))
    git(dest, "add", "-A")
    git(dest, "-c", "user.name=Test", "-c", "user.email=test@example.com", "commit", "-q", "-m", "initial")
    return dest


@pytest.fixture(autouse=True)
def agent_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep every test's run index, keys and scratch workspaces out of the real home."""
    home = tmp_path_factory.mktemp("agent-home")
    monkeypatch.setenv("AGENT_HOME", str(home))
    monkeypatch.setenv("AGENT_MODELS_DIR", str(REAL_MODELS_DIR))
    return home


@pytest.fixture(scope="session")
def small_model_path() -> Path:
    """The verified 0.5B GGUF (fast after the first assembly: size + hash stamp)."""
    return ensure_bundled(TEST_MODEL)


@pytest.fixture
def py_repo(tmp_path: Path) -> Path:
    return make_repo(WORKSPACES / "py-inventory", tmp_path / "py-inventory")


@pytest.fixture
def c_repo(tmp_path: Path) -> Path:
    return make_repo(WORKSPACES / "c-mathlib", tmp_path / "c-mathlib")
