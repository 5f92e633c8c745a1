"""The ``agent ci`` commands as a CI job runs them: an issue body as the goal, the CI key from
the environment, a docs-only stage CI may approve alone landing without a person, exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agent.ci.apply import Refused, apply_run
from agent.ci.propose import goal_from_issue
from agent.cli import main
from agent.llm.scripted import ScriptedModel
from agent.sandbox.local import LocalRunner
from tests.ci.ci_helpers import REPLIES_DOCS, fresh_clone, keygen, target_with_remote
from tests.conftest import git

ISSUE = "# Document negative quantities\n\nSay in the README that add_item refuses them.\n"


def agent(*argv: str) -> int:
    with pytest.raises(SystemExit) as done:
        main([*argv])
    return int(done.value.code or 0)


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Path, dict[str, Path]]:
    keys = {name: keygen(tmp_path / name) for name in ("alice", "bob", "ci-bot")}
    repo, remote = target_with_remote(tmp_path, keys)
    return repo, remote, keys


def test_goal_from_an_issue_body_is_its_title_and_text() -> None:
    assert goal_from_issue(ISSUE) == "Document negative quantities\n\nSay in the README that add_item refuses them."
    assert goal_from_issue("## Just a title\n") == "Just a title"


def test_docs_stage_signed_by_ci_lands_without_a_person(
    setup: tuple[Path, Path, dict[str, Path]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo, remote, keys = setup
    base = git(remote, "rev-parse", "main")
    (tmp_path / "issue.md").write_text(ISSUE)
    (tmp_path / "replies.json").write_text(json.dumps(REPLIES_DOCS))
    monkeypatch.setenv("AGENT_CI_KEY", str(keys["ci-bot"]))
    art = tmp_path / "artifacts"
    assert agent("ci", "propose", "--issue-body", str(tmp_path / "issue.md"), "--repo", str(repo),
                 "--model", f"scripted:{tmp_path / 'replies.json'}", "--sandbox", "none",
                 "--artifacts", str(art)) == 0
    report = json.loads((art / "report.json").read_text())
    run = report["run_id"]
    assert report["goal"].startswith("Document negative quantities\n\nSay in the README")
    assert report["approve"] == [] and "Nothing needs a person's signature." in (art / "report.md").read_text()

    clone = fresh_clone(remote, tmp_path / "ci-clone")
    with pytest.raises(Refused) as failing:  # the checks decide too, on the final tree
        apply_run(clone, run, overrides={"test_command": ["python3", "-c", "raise SystemExit(1)"]},
                  runner=LocalRunner())
    assert failing.value.exit_code == 4 and git(remote, "rev-parse", "main") == base

    capsys.readouterr()
    assert agent("ci", "apply", run, "--repo", str(clone), "--sandbox", "none") == 0
    assert "main fast-forwarded" in capsys.readouterr().out
    assert "Negative quantities are refused." in git(remote, "show", "main:README.md")
    assert git(remote, "rev-parse", "main^") == base  # exactly the one stage commit, no record

    assert agent("ci", "apply", run, "--repo", str(clone), "--sandbox", "none") == 3  # main moved on
    assert "propose again" in capsys.readouterr().err


def test_user_errors_exit_with_one_line(setup: tuple[Path, Path, dict[str, Path]], tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    repo, _, keys = setup
    assert agent("ci", "propose", "--goal", "g", "--goal-file", "f", "--repo", str(repo)) == 2
    assert agent("ci", "propose", "--goal", "g", "--repo", str(repo), "--remote", "upstream") == 1
    assert "no git remote 'upstream'" in capsys.readouterr().err
    assert agent("ci", "propose", "--goal", "g", "--repo", str(repo), "--ci-key", str(keys["alice"])) == 1
    err = capsys.readouterr().err
    assert "belongs to alice, role person" in err and len(err.strip().splitlines()) == 1
    assert agent("ci", "approve", "20990101-000000-abcd", "--stage", "1", "--repo", str(repo)) == 1
    assert not (repo / ".agent" / "runs").exists()  # nothing started


def test_interrupted_propose_exits_130_with_one_line_and_pushes_nothing(
    setup: tuple[Path, Path, dict[str, Path]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Ctrl-C (or a CI job's timeout) while the model writes stage 1: one line, exit 130, no branch."""
    repo, remote, keys = setup
    (tmp_path / "replies.json").write_text(json.dumps(REPLIES_DOCS))
    replay = ScriptedModel.complete

    def interrupted_after_the_plan(self: ScriptedModel, *args: Any, **kwargs: Any) -> str:
        if self.calls:  # the plan was answered; the stage's edit is being written
            raise KeyboardInterrupt
        return replay(self, *args, **kwargs)

    monkeypatch.setattr(ScriptedModel, "complete", interrupted_after_the_plan)
    monkeypatch.setenv("AGENT_CI_KEY", str(keys["ci-bot"]))
    assert agent("ci", "propose", "--goal", "Document negative quantities", "--repo", str(repo),
                 "--model", f"scripted:{tmp_path / 'replies.json'}", "--sandbox", "none") == 130
    out = capsys.readouterr()
    lines = out.out.strip().splitlines()
    assert lines[-1].endswith("interrupted, nothing pushed; propose again to start over")
    assert "internal error" not in out.err and "Traceback" not in out.err
    assert git(remote, "branch", "--list", "agent/*") == ""
