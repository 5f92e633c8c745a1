"""Bot mode plans a goal that says "to Rust" as the C-to-Rust translation, as `agent refine`
does, and its checks run in the Docker sandbox's rust image (the default backend)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.ci.propose import propose
from agent.llm.scripted import ScriptedModel
from tests.ci.ci_helpers import ME, keygen, policy_text
from tests.conftest import WORKSPACES, git, make_repo
from tests.rewrites.c2rust_replies import REPLIES
from tests.rewrites.c2rust_sandbox import c2rust_runner


@pytest.mark.docker
def test_ci_propose_translates_when_the_goal_says_rust(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    keys = {name: keygen(tmp_path / name) for name in ("alice", "ci-bot")}
    repo = make_repo(WORKSPACES / "c-mathlib", tmp_path / "c-mathlib")
    (repo / "policies").mkdir()
    (repo / "policies" / "default.yaml").write_text(policy_text(keys))
    git(repo, "add", "-A")
    git(repo, *ME, "commit", "-q", "-m", "policy")
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    git(repo, "push", "-q", "origin", "main")
    c2rust_runner(repo).close()  # skips here without Docker or the image
    monkeypatch.setenv("AGENT_HOME", str(tmp_path / "home"))

    proposal = propose(repo, "Translate the maths library to Rust", "origin", tmp_path / "artifacts", keys["ci-bot"],
                       overrides={"sandbox": "docker", "max_stages": 2}, model=ScriptedModel(REPLIES[:2]))

    assert [s.outcome for s in proposal.stages] == ["applied", "applied"]
    meta = json.loads((repo / ".agent" / "runs" / proposal.run_id / "meta.json").read_text())
    assert meta["settings"]["strategy"] == "c2rust" and meta["settings"]["sandbox"] == "docker"
    branch = f"agent/{proposal.run_id}"
    assert 'pub extern "C" fn gcd' in git(remote, "show", f"{branch}:rust/src/lib.rs")
