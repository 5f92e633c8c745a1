"""The policy a run starts with: the repository's, only as committed (verification reads it from git)."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.approval.local_policy import policy_for_run
from agent.errors import AgentError
from tests.conftest import git

POLICY = "version: 1\nmax_diff_lines: 100\n"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / "policies").mkdir(parents=True)
    (repo / "policies" / "default.yaml").write_text(POLICY)
    git(tmp_path, "init", "-q", "-b", "main", str(repo))
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=T", "-c", "user.email=t@x", "commit", "-q", "-m", "policy")
    (repo / "run").mkdir()
    return repo


def test_committed_policy_is_snapshotted(repo: Path) -> None:
    loaded = policy_for_run(repo, repo / "run", trust_local_user=True)
    assert (repo / "run" / "policy.yaml").read_text() == POLICY and loaded.policy.max_diff_lines == 100


@pytest.mark.parametrize("change", ["edit", "untracked"])
def test_uncommitted_policy_refuses_to_start(repo: Path, change: str) -> None:
    if change == "untracked":
        git(repo, "rm", "-q", "--cached", "policies/default.yaml")
        git(repo, "-c", "user.name=T", "-c", "user.email=t@x", "commit", "-q", "-m", "untrack")
    else:
        (repo / "policies" / "default.yaml").write_text(POLICY.replace("100", "5"))
    with pytest.raises(AgentError, match="is not as committed at HEAD; commit it first") as err:
        policy_for_run(repo, repo / "run", trust_local_user=True)
    assert "\n" not in str(err.value) and not (repo / "run" / "policy.yaml").exists()
