"""CI bot mode end to end: propose against a real bare remote, sign on the branch, apply from a
fresh clone. One proposal (three stages: code needing two people, docs CI may approve, a
protected path) is shared by the module; each test lands on its own copy of the remote."""

from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from agent.ci.apply import Refused, apply_run
from agent.ci.layout import record_path
from agent.ci.propose import Proposal, propose
from agent.llm.scripted import ScriptedModel
from agent.sandbox.local import LocalRunner
from tests.ci.ci_helpers import ME, REPLIES_THREE, copy_remote, fresh_clone, keygen, sign_and_push, target_with_remote
from tests.conftest import git


@dataclass
class World:
    root: Path
    repo: Path
    remote: Path
    keys: dict[str, Path]
    proposal: Proposal
    base: str


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("ci")
    keys = {name: keygen(root / name) for name in ("alice", "bob", "ci-bot")}
    repo, remote = target_with_remote(root, keys)
    base = git(repo, "rev-parse", "main")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AGENT_HOME", str(root / "home"))
        goal = "validate quantities and document them, then add CI notes"  # several changes: planned as stages
        proposal = propose(repo, goal, "origin", root / "artifacts", keys["ci-bot"],
                           overrides={"sandbox": "none"}, model=ScriptedModel(REPLIES_THREE), runner=LocalRunner())
    yield World(root, repo, remote, keys, proposal, base)


def remote_copy(world: World, tmp_path: Path) -> Path:
    return copy_remote(world.remote, tmp_path / "remote.git")


def apply_from_clone(remote: Path, tmp_path: Path, run_id: str) -> None:
    apply_run(fresh_clone(remote, tmp_path / "ci-clone"), run_id, runner=LocalRunner())


def test_propose_pushes_the_branch_and_writes_artifacts(world: World) -> None:
    run = world.proposal.run_id
    assert world.proposal.pushed and [s.outcome for s in world.proposal.stages] == ["applied"] * 3
    assert git(world.remote, "rev-parse", "main") == world.base  # nothing landed
    tip = f"agent/{run}"
    record = git(world.remote, "ls-tree", "-r", "--name-only", tip, record_path(run)).splitlines()
    assert f"{record_path(run)}/stages/02/patch.diff" in record
    ci_signed = [p for p in record if p.endswith(".sig") and "/stages/" in p]
    assert len(ci_signed) == 1 and "/stages/02/approvals/" in ci_signed[0]  # docs stage only
    assert [p for p in record if "/proposal/" in p and p.endswith(".sig")]  # CI signed the stage line
    audit = (world.repo / ".agent" / "runs" / run / "audit.jsonl").read_text().splitlines()
    approvals = [json.loads(e)["data"] for e in audit if '"event":"approved"' in e.replace(" ", "")]
    assert [(a["stage"], a["signer"], a["auto"]) for a in approvals] == [(2, "ci-bot", "ci_may_approve")]

    art = world.proposal.artifacts_dir
    assert sorted(p.name for p in art.glob("stage-*.diff")) == ["stage-01.diff", "stage-02.diff", "stage-03.diff"]
    suite = ET.parse(art / "junit.xml").getroot()
    assert [c.get("name") for c in suite.iter("testcase")][1] == "stage 2: Document it"
    assert suite.get("tests") == "3" and suite.get("failures") == "0"
    sarif = json.loads((art / "policy.sarif").read_text())
    assert sarif["version"] == "2.1.0"
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["runs"][0]["results"]]
    assert ".ci/notes.md" in uris and "inventory/stock.py" in uris
    report = (art / "report.md").read_text()
    assert f"agent ci approve {run} --stage 1" in report and f"agent ci approve {run} --stage 3" in report
    assert "--stage 2" not in report  # CI signed it already
    assert "--stage 1    # 2 people" in report and "--stage 3    #" not in report
    assert json.loads((art / "report.json").read_text())["stages"][1]["signers"] == ["ci-bot"]


def test_two_signatures_then_apply_fast_forwards(world: World, tmp_path: Path) -> None:
    remote = remote_copy(world, tmp_path)
    alice, bob = world.keys["alice"], world.keys["bob"]
    sign_and_push(remote, tmp_path / "maintainer", world.proposal.run_id, {1: [alice, bob], 3: [alice]})
    apply_from_clone(remote, tmp_path, world.proposal.run_id)
    landed = git(remote, "rev-parse", "main")
    assert landed == git(world.repo, "rev-parse", f"refs/agent/{world.proposal.run_id}/stage-3")
    assert git(remote, "merge-base", "--is-ancestor", world.base, landed) == ""
    tree = git(remote, "ls-tree", "-r", "--name-only", "main").splitlines()
    assert ".ci/notes.md" in tree and not any(p.startswith(".agent-approvals") for p in tree)
    assert "negative quantity" in git(remote, "show", "main:inventory/stock.py")


TAMPER = {  # what is changed on the branch after signing -> the reason apply gives
    "inventory/stock.py": "no signature covers it",
    "stages/01/patch.diff": "patch changed after approval",
    "policy.yaml": "the record's policy is not policies/default.yaml at base",
}


@pytest.mark.parametrize("where", list(TAMPER))
def test_tampered_branch_is_refused_and_target_unchanged(world: World, tmp_path: Path, where: str) -> None:
    remote = remote_copy(world, tmp_path)
    run = world.proposal.run_id
    alice, bob = world.keys["alice"], world.keys["bob"]
    clone = sign_and_push(remote, tmp_path / "maintainer", run, {1: [alice, bob], 3: [alice]})
    record = clone / record_path(run)
    if where == "policy.yaml":  # a branch bringing its own, looser policy, with a matching hash
        looser = (record / where).read_text().replace("signatures: 2", "signatures: 1")
        (record / where).write_text(looser)
        meta = json.loads((record / "meta.json").read_text())
        meta["policy_sha256"] = hashlib.sha256(looser.encode()).hexdigest()
        (record / "meta.json").write_text(json.dumps(meta))
    else:
        victim = clone / where if where.startswith("inventory") else record / where
        victim.write_text(victim.read_text().replace("negative quantity", "negative qty"))
    git(clone, *ME, "commit", "-qam", "innocent")
    git(clone, "push", "-q", "origin", f"agent/{run}")
    with pytest.raises(Refused) as refused:
        apply_from_clone(remote, tmp_path, run)
    assert refused.value.exit_code == 3
    assert any(TAMPER[where] in p for p in refused.value.problems), refused.value.problems
    assert git(remote, "rev-parse", "main") == world.base


def test_missing_signature_is_refused(world: World, tmp_path: Path) -> None:
    remote = remote_copy(world, tmp_path)
    sign_and_push(remote, tmp_path / "maintainer", world.proposal.run_id, {1: [world.keys["alice"]]})
    with pytest.raises(Refused) as refused:
        apply_from_clone(remote, tmp_path, world.proposal.run_id)
    problems = refused.value.problems
    assert "stage 1: policy: inventory/stock.py needs 2 trusted signature(s), has 1" in problems
    assert "stage 3: no approvals" in problems
    assert git(remote, "rev-parse", "main") == world.base


def test_protected_path_signed_only_by_ci_is_refused(world: World, tmp_path: Path) -> None:
    remote = remote_copy(world, tmp_path)
    alice, bob, ci = world.keys["alice"], world.keys["bob"], world.keys["ci-bot"]
    sign_and_push(remote, tmp_path / "maintainer", world.proposal.run_id, {1: [alice, bob], 3: [ci]})
    with pytest.raises(Refused) as refused:
        apply_from_clone(remote, tmp_path, world.proposal.run_id)
    assert "stage 3: policy: ci-bot is a CI signer and this stage needs a person" in refused.value.problems
    assert git(remote, "rev-parse", "main") == world.base
