"""The commands end to end: what they print and their exit status."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from approval_helpers import PATCH, PATCH2, Run, agent, keygen, make_run, policy_yaml

from agent.home import run_index_dir


@pytest.fixture
def run(tmp_path: Path, alice: Path) -> Run:
    run = make_run(tmp_path / "repo", "run-1", policy_yaml([("alice@example.com", alice, "**")]),
                   {1: PATCH, 2: PATCH2})
    run_index_dir().mkdir(parents=True, exist_ok=True)
    (run_index_dir() / "run-1").write_text(str(run.repo))
    return run


def test_approve_then_verify_passes(
    capsys: pytest.CaptureFixture[str], run: Run, alice: Path
) -> None:
    for stage in ("1", "2"):
        code, out = agent(capsys, "approve", "run-1", "--stage", stage, "--key", str(alice))
        assert code == 0 and f"stage {stage} approved by alice@example.com" in out
    code, out = agent(capsys, "verify", "run-1")
    assert code == 0, out
    assert "stage 01: ok, approved by alice@example.com" in out
    assert "all 2 applied stage(s) verified" in out
    sig = next((run.stage(1) / "approvals").glob("*.sig"))
    plain = subprocess.run(
        ["ssh-keygen", "-Y", "verify", "-f", str(run.path / "allowed_signers"),
         "-I", "alice@example.com", "-n", "agent-approval@agent", "-s", str(sig)],
        stdin=sig.with_suffix(".json").open("rb"), capture_output=True, check=False,
    )
    assert plain.returncode == 0
    events = [json.loads(x)["event"] for x in (run.path / "audit.jsonl").read_text().splitlines()]
    assert events.count("approved") == 2


def test_verify_fails_with_exit_3_and_reasons(
    capsys: pytest.CaptureFixture[str], run: Run, alice: Path
) -> None:
    agent(capsys, "approve", "run-1", "--stage", "1", "--key", str(alice))
    (run.stage(1) / "patch.diff").write_text(PATCH.replace("return 2", "return 9"))
    code, out = agent(capsys, "verify", "run-1", "--repo", str(run.repo))
    assert code == 3
    assert "commit " in out and "(agent: stage 1) is no stage's signed patch on" in out
    assert "stage 02: REJECTED: no approvals" in out
    assert "failed verification" in out


def test_approve_with_untrusted_key_is_refused(
    capsys: pytest.CaptureFixture[str], run: Run, tmp_path: Path
) -> None:
    other = keygen(tmp_path / "mallory")
    code, out = agent(capsys, "approve", "run-1", "--stage", "1", "--key", str(other))
    assert code == 1 and "is not a trusted signer" in out and len(out.strip().splitlines()) == 1
    assert not (run.stage(1) / "approvals").exists()


def test_approve_unknown_stage_and_run(
    capsys: pytest.CaptureFixture[str], run: Run, alice: Path
) -> None:
    code, out = agent(capsys, "approve", "run-1", "--stage", "7", "--key", str(alice))
    assert code == 1 and "has no stage 7" in out
    code, out = agent(capsys, "verify", "nope", "--repo", str(run.repo))
    assert code == 1 and "no run 'nope'" in out


def test_policy_edited_after_run_start_is_not_used(
    capsys: pytest.CaptureFixture[str], run: Run, alice: Path
) -> None:
    (run.repo / "policies" / "default.yaml").write_text("version: 1\nmax_diff_lines: 1\n")
    code, out = agent(capsys, "approve", "run-1", "--stage", "1", "--key", str(alice))
    assert code == 0, out  # the snapshot taken at run start is the policy in force
    (run.path / "policy.yaml").write_text("version: 1\n")
    code, out = agent(capsys, "verify", "run-1")  # a tampered snapshot is a failed verification
    assert code == 3 and "policy.yaml in the run folder" in out and "tampered" in out


def test_audit_verify_ok_and_tampered(capsys: pytest.CaptureFixture[str], run: Run) -> None:
    code, out = agent(capsys, "audit", "verify", "run-1")
    assert code == 0 and "audit log ok: 3 entries" in out
    log = run.path / "audit.jsonl"
    rows = log.read_text().splitlines()
    log.write_text(rows[0] + "\n" + rows[2] + "\n")
    code, out = agent(capsys, "audit", "verify", "run-1")
    assert code == 3 and "line 2: entry #2 deleted before this line" in out


def test_review_with_nothing_pending(capsys: pytest.CaptureFixture[str], run: Run) -> None:
    code, out = agent(capsys, "review", "run-1")
    assert code == 0
    assert out.strip() == "nothing pending for run run-1: no stage is waiting for review"


def test_keys_init_creates_private_key_once(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = agent(capsys, "keys", "init", "--name", "me@example.com")
    assert code == 0 and out.startswith("created key ")
    key = Path(out.split()[2])
    assert oct(os.stat(key).st_mode & 0o777) == "0o600" and key.parent.name == "keys"
    assert "- name: me@example.com" in out and "key: ssh-ed25519 AAAA" in out
    code, again = agent(capsys, "keys", "init")
    assert code == 0 and again.startswith(f"you already have key {key}")
