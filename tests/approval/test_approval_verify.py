"""Every way an approval can be wrong is rejected with a one-line reason; good ones pass."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from approval_helpers import PATCH, PATCH2, Run, fields, keygen, make_run, policy_yaml

from agent.approval.statement import sign_approval
from agent.approval.verify import StageVerdict, allowed_signers_text, verify_stage
from agent.errors import AgentError
from agent.policy.load import load_policy


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, Path]:
    return {n: keygen(tmp_path / n, f"{n}@example.com") for n in ("alice", "bob", "mallory")}


@pytest.fixture
def run(tmp_path: Path, keys: dict[str, Path]) -> Run:
    text = policy_yaml([("alice@example.com", keys["alice"], "**"),
                        ("bob@example.com", keys["bob"], "src/**")])
    return make_run(tmp_path / "repo", "run-1", text, {1: PATCH, 2: PATCH2})


def check(run: Run, stage: int = 1) -> StageVerdict:
    meta = json.loads((run.path / "meta.json").read_text())
    policy = load_policy(run.path / "policy.yaml").policy
    return verify_stage(run.path, stage, meta, policy, run.policy_sha, parent=run.parents[stage])


def only_reason(verdict: StageVerdict) -> str:
    assert not verdict.ok
    sig_reasons = [r for r in verdict.reasons if not r.startswith("policy:")]
    assert len(sig_reasons) == 1, verdict.reasons
    assert "\n" not in sig_reasons[0]
    return sig_reasons[0]


def test_good_approval_verifies_here_and_with_plain_ssh_keygen(run: Run, keys: dict) -> None:
    sig = sign_approval(run.path, fields(run), keys["alice"])
    verdict = check(run)
    assert verdict.ok and verdict.signers == ["alice@example.com"]
    allowed = run.path / "allowed_signers"
    allowed.write_text(allowed_signers_text(load_policy(run.path / "policy.yaml").policy))
    plain = subprocess.run(
        ["ssh-keygen", "-Y", "verify", "-f", str(allowed), "-I", "alice@example.com",
         "-n", "agent-approval@agent", "-s", str(sig)],
        stdin=sig.with_suffix(".json").open("rb"), capture_output=True, check=False,
    )
    assert plain.returncode == 0, plain.stderr


def test_patch_changed_after_approval(run: Run, keys: dict) -> None:
    sign_approval(run.path, fields(run), keys["alice"])
    (run.stage(1) / "patch.diff").write_text(PATCH.replace("return 2", "return 3"))
    assert "patch changed after approval" in only_reason(check(run))


def test_applied_patch_differs_from_stored_patch(run: Run, keys: dict) -> None:
    sign_approval(run.path, fields(run), keys["alice"])
    meta_sha = hashlib.sha256(b"other").hexdigest()
    meta = json.loads((run.path / "meta.json").read_text())
    policy = load_policy(run.path / "policy.yaml").policy
    verdict = verify_stage(run.path, 1, meta, policy, run.policy_sha, applied_sha=meta_sha, parent=run.parents[1])
    assert any("differs from the patch the log says was applied" in r for r in verdict.reasons)


def test_approval_replayed_onto_another_stage(run: Run, keys: dict) -> None:
    sign_approval(run.path, fields(run, stage=1), keys["alice"])
    shutil.copytree(run.stage(1) / "approvals", run.stage(2) / "approvals")
    assert "belongs to stage 1, not 2 (replayed)" in only_reason(check(run, stage=2))


def test_approval_replayed_onto_another_run(tmp_path: Path, run: Run, keys: dict) -> None:
    other = make_run(tmp_path / "repo2", "run-2", (run.path / "policy.yaml").read_text())
    sign_approval(other.path, fields(other), keys["alice"])
    shutil.copytree(other.stage(1) / "approvals", run.stage(1) / "approvals")
    assert "belongs to run run-2, not run-1 (replayed)" in only_reason(check(run))


def test_untrusted_key(run: Run, keys: dict) -> None:
    sign_approval(run.path, fields(run), keys["mallory"])
    assert "is not a trusted signer in the policy" in only_reason(check(run))


def test_signature_over_a_different_policy(run: Run, keys: dict) -> None:
    stale = hashlib.sha256(b"version: 1\n").hexdigest()
    sign_approval(run.path, fields(run, policy_sha256=stale), keys["alice"])
    assert "signed under a different policy" in only_reason(check(run))


def test_different_base_commit(run: Run, keys: dict) -> None:
    sign_approval(run.path, fields(run, base_commit="b" * 40), keys["alice"])
    assert "base commit" in only_reason(check(run))


def test_approval_for_the_patch_on_another_parent(run: Run, keys: dict) -> None:
    """The same patch approved on top of another commit does not count here (stage moved)."""
    sign_approval(run.path, fields(run, stage=2, parent_commit=run.base), keys["alice"])
    assert "not on " + run.parents[2][:10] in only_reason(check(run, stage=2))


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda t: t[: len(t) // 3], "BEGIN/END"),
        (lambda t: "\n".join(t.splitlines()[:2] + t.splitlines()[-1:]), "truncated"),
        (lambda t: t.replace(t.splitlines()[1], "%%" + t.splitlines()[1][2:]), "base64"),
        (lambda t: "", "BEGIN/END"),
    ],
)
def test_truncated_or_garbled_signature_file(
    run: Run, keys: dict, damage: Callable[[str], str], reason: str
) -> None:
    sig = sign_approval(run.path, fields(run), keys["alice"])
    sig.write_text(damage(sig.read_text()))
    assert reason in only_reason(check(run))


def test_signed_statement_edited(run: Run, keys: dict) -> None:
    sig = sign_approval(run.path, fields(run), keys["alice"])
    statement = sig.with_suffix(".json")
    statement.write_text(statement.read_text().replace('"stage":1', '"stage":2'))
    assert "does not match the signed statement" in only_reason(check(run))


def test_missing_statement_file(run: Run, keys: dict) -> None:
    sign_approval(run.path, fields(run), keys["alice"]).with_suffix(".json").unlink()
    assert "is missing" in only_reason(check(run))


def test_no_approvals_at_all(run: Run) -> None:
    assert check(run).reasons == ["no approvals"]


def test_signer_not_trusted_for_the_paths(tmp_path: Path, keys: dict) -> None:
    text = policy_yaml([("bob@example.com", keys["bob"], "docs/**")])
    run = make_run(tmp_path / "r", "run-3", text)
    sign_approval(run.path, fields(run), keys["bob"])
    verdict = check(run)
    assert not verdict.ok
    assert any("src/app.py needs 1 trusted signature(s), has 0" in r for r in verdict.reasons)


def test_protected_path_needs_two_people(tmp_path: Path, keys: dict) -> None:
    patch = PATCH.replace("src/app.py", "agent/approval/app.py")
    text = policy_yaml(
        [("alice@example.com", keys["alice"], "**"), ("bob@example.com", keys["bob"], "**")],
        "multi_signature:\n  - paths: [\"agent/approval/**\"]\n    signatures: 2\n",
    )
    run = make_run(tmp_path / "r", "run-4", text, {1: patch})
    sign_approval(run.path, fields(run), keys["alice"])
    assert any("needs 2 trusted signature(s), has 1" in r for r in check(run).reasons)
    sign_approval(run.path, fields(run), keys["bob"])
    assert check(run).ok


def test_sign_refuses_fields_that_do_not_match_the_stage_patch(run: Run, keys: dict) -> None:
    with pytest.raises(AgentError, match="does not match the patch being approved"):
        sign_approval(run.path, fields(run, patch_sha256="0" * 64), keys["alice"])
    with pytest.raises(AgentError, match="lacks base_commit"):
        sign_approval(run.path, fields(run, base_commit=""), keys["alice"])
