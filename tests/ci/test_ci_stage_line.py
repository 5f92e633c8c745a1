"""``agent ci apply`` lands only the stage line trusted signers signed, through the CLI.

Someone who can push to ``agent/RUN`` rewrites the branch from the signed patches and edits the
record's stage list to match: a stage repeated, the first or the last dropped, two swapped.
Every stage they keep is a signed patch applied cleanly, so only the signed line (each approval
bound to its parent commit, the CI-signed proposal) can tell. And a file whose name git quotes
(a new workflow) is protected like any other: CI may not approve it alone.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from agent.approval.keys import NAMESPACE, load_key
from agent.approval.verify import allowed_signers_text
from agent.ci.layout import record_path
from agent.ci.propose import propose
from agent.cli import main
from agent.llm.scripted import ScriptedModel
from agent.policy.load import load_policy
from agent.sandbox.local import LocalRunner
from tests.ci.ci_helpers import (
    CI_NOTE_EDIT,
    ME,
    README_EDIT,
    copy_remote,
    fresh_clone,
    keygen,
    policy_text,
    sign_and_push,
    target_with_remote,
)
from tests.conftest import git

LOG = "a\n" * 20  # a stage inserting a line in the middle of it applies twice, at another offset
WORKFLOW = ".github/workflows/déploy.yml"  # git quotes it in a diff header
STAGES = [
    {"title": "Mark the log", "intent": "Mark the middle.", "files": ["docs/log.md"]},
    {"title": "Document it", "intent": "Say so in the README.", "files": ["README.md"]},
    {"title": "CI notes", "intent": "Add notes for CI.", "files": [".ci/notes.md"]},
    {"title": "Deploy", "intent": "Add a workflow.", "files": [WORKFLOW]},
]
REPLIES = [
    json.dumps({"stages": STAGES}),
    json.dumps({"edits": [{"file": "docs/log.md", "search": LOG, "replace": "a\n" * 10 + "b\n" + "a\n" * 10}]}),
    README_EDIT,
    CI_NOTE_EDIT,
    json.dumps({"edits": [{"file": WORKFLOW, "search": "", "replace": "on: push\njobs: {}\n"}]}),
]


CI_ALONE = ["ci_may_approve:", '  paths: ["**"]', "  max_diff_lines: 50"]  # any small stage, bar protected paths


@dataclass
class World:
    root: Path
    remote: Path
    keys: dict[str, Path]
    run_id: str
    base: str


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("ci-line")
    keys = {name: keygen(root / name) for name in ("alice", "bob", "ci-bot")}
    repo, remote = target_with_remote(root, keys, policy_text(keys, CI_ALONE), {"docs/log.md": LOG})
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AGENT_HOME", str(root / "home"))
        goal = "mark the log and document it, then add a deploy workflow"  # several changes: planned as stages
        proposal = propose(repo, goal, "origin", root / "artifacts", keys["ci-bot"],
                           overrides={"sandbox": "none", "max_stages": 4}, model=ScriptedModel(REPLIES),
                           runner=LocalRunner())
    assert [s.outcome for s in proposal.stages] == ["applied"] * 4
    yield World(root, remote, keys, proposal.run_id, git(repo, "rev-parse", "main"))


def keys_fingerprint(key: Path) -> str:
    return load_key(key).fingerprint


def signed_remote(world: World, tmp_path: Path, people: dict[int, list[Path]]) -> Path:
    remote = copy_remote(world.remote, tmp_path / "remote.git")
    sign_and_push(remote, tmp_path / "maintainer", world.run_id, people)
    return remote


def forge(remote: Path, tmp_path: Path, run_id: str, order: list[int]) -> None:
    """Rebuild agent/RUN from the signed patches in ``order`` and make the record list match."""
    clone = fresh_clone(remote, tmp_path / "forger")
    git(clone, "checkout", "-q", f"agent/{run_id}")
    saved = tmp_path / "saved-record"
    shutil.copytree(clone / record_path(run_id), saved)
    meta = json.loads((saved / "meta.json").read_text())
    listed = {s["stage"]: s for s in meta["stages"]}
    git(clone, "checkout", "-q", "-B", f"agent/{run_id}", meta["base_commit"])
    stages = []
    for n in order:
        parent = git(clone, "rev-parse", "HEAD")
        git(clone, "apply", "--index", str(saved / "stages" / f"{n:02d}" / "patch.diff"))
        git(clone, *ME, "commit", "-q", "-m", f"agent: stage {n}")
        stages.append({**listed[n], "commit": git(clone, "rev-parse", "HEAD"), "parent_commit": parent})
    shutil.copytree(saved, clone / record_path(run_id))
    (clone / record_path(run_id) / "meta.json").write_text(json.dumps({**meta, "stages": stages}))
    git(clone, "add", "-f", record_path(run_id))
    git(clone, *ME, "commit", "-q", "-m", f"approve run {run_id}")
    git(clone, "push", "-q", "-f", "origin", f"agent/{run_id}")


def ci_apply(remote: Path, tmp_path: Path, run_id: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    clone = fresh_clone(remote, tmp_path / "ci-clone")
    capsys.readouterr()
    with pytest.raises(SystemExit) as done:
        main(["ci", "apply", run_id, "--repo", str(clone), "--sandbox", "none"])
    out = capsys.readouterr()
    return int(done.value.code or 0), out.out + out.err


def test_the_signed_line_lands(world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    alice = world.keys["alice"]
    remote = signed_remote(world, tmp_path, {3: [alice], 4: [alice]})
    code, out = ci_apply(remote, tmp_path, world.run_id, capsys)
    assert code == 0, out
    assert f"run {world.run_id}: stages 1, 2, 3, 4 verified" in out
    assert git(remote, "show", "main:docs/log.md").count("b") == 1
    assert WORKFLOW in git(remote, "ls-tree", "-r", "--name-only", "-z", "main").split("\0")
    # every signature on the branch, the signed stage lines too, verifies with plain ssh-keygen
    record = tmp_path / "maintainer" / record_path(world.run_id)
    allowed = tmp_path / "allowed_signers"
    allowed.write_text(allowed_signers_text(load_policy(record / "policy.yaml").policy))
    sigs = sorted(record.glob("proposal/*.sig")) + sorted(record.glob("stages/*/approvals/*.sig"))
    assert len(sigs) == 2 + 4  # CI's and alice's stage lines; CI on stages 1-2, alice on 3-4
    for sig in sigs:
        signer = json.loads(sig.with_suffix(".json").read_text())["key_fingerprint"]
        name = next(n for n, k in world.keys.items() if keys_fingerprint(k) == signer)
        plain = subprocess.run(["ssh-keygen", "-Y", "verify", "-f", str(allowed), "-I", name,
                                "-n", NAMESPACE, "-s", str(sig)],
                               stdin=sig.with_suffix(".json").open("rb"), capture_output=True, check=False)
        assert plain.returncode == 0, (sig, plain.stderr)


@pytest.mark.parametrize("order", [[1, 1, 2, 3, 4], [2, 3, 4], [1, 2, 3], [1, 3, 2, 4]],
                         ids=["repeated", "first-dropped", "last-dropped", "reordered"])
def test_a_rewritten_stage_line_is_refused(world: World, tmp_path: Path, order: list[int],
                                           capsys: pytest.CaptureFixture[str]) -> None:
    alice = world.keys["alice"]
    remote = signed_remote(world, tmp_path, {3: [alice], 4: [alice]})
    forge(remote, tmp_path, world.run_id, order)
    code, out = ci_apply(remote, tmp_path, world.run_id, capsys)
    assert code == 3, out
    assert "refused: the branch's stage commits" in out and "are not the proposal's" in out
    assert git(remote, "rev-parse", "main") == world.base


def test_a_workflow_under_a_quoted_name_needs_a_person(world: World, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    remote = signed_remote(world, tmp_path, {3: [world.keys["alice"]]})
    listing = git(remote, "ls-tree", "-r", "--name-only", f"agent/{world.run_id}").splitlines()
    assert not [p for p in listing if "/stages/04/approvals/" in p]  # CI did not sign it alone
    code, out = ci_apply(remote, tmp_path, world.run_id, capsys)
    assert code == 3, out
    assert "refused: stage 4: no approvals" in out
    assert git(remote, "rev-parse", "main") == world.base


def test_a_maintainer_does_not_sign_a_rewritten_line(world: World, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    remote = copy_remote(world.remote, tmp_path / "remote.git")
    forge(remote, tmp_path, world.run_id, [1, 3, 2, 4])  # the record's list edited to match the branch
    clone = fresh_clone(remote, tmp_path / "maintainer")
    git(clone, "checkout", "-q", f"agent/{world.run_id}")
    capsys.readouterr()
    with pytest.raises(SystemExit) as done:
        main(["ci", "approve", world.run_id, "--stage", "3", "--key", str(world.keys["alice"]), "--repo", str(clone)])
    out = capsys.readouterr()
    assert done.value.code == 3
    assert "its stage list is not the one already signed in proposal/" in out.err
    assert not (clone / record_path(world.run_id) / "stages" / "03" / "approvals").exists()
