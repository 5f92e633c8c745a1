"""Forgeries by someone who can write the run folder or the run branch, through the CLI with real
git and real signatures: each must fail verification (exit 3) with a one-line reason.

The classes: the branch changed after signing (amended stage, commit added on top), the run's
policy swapped for one trusting the forger, the audit log cut or rewritten with every hash
recomputed, a path git quotes slipping past the path rules, and no audit log at all.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest
from approval_helpers import APP, PATCH, PATCH2, Run, agent, git, keygen, make_run, policy_yaml, publine

from agent.approval import audit
from agent.home import run_index_dir

ME = ("-c", "user.name=Mallory", "-c", "user.email=m@example.com")


@pytest.fixture
def signed(tmp_path: Path, alice: Path, capsys: pytest.CaptureFixture[str]) -> Run:
    """Two stages applied on agent/run-1 and approved by alice with 'agent approve'."""
    run = make_run(tmp_path / "repo", "run-1", policy_yaml([("alice@example.com", alice, "**")]),
                   {1: PATCH, 2: PATCH2})
    run_index_dir().mkdir(parents=True, exist_ok=True)
    (run_index_dir() / "run-1").write_text(str(run.repo))
    for stage in ("1", "2"):
        assert agent(capsys, "approve", "run-1", "--stage", stage, "--key", str(alice))[0] == 0
    code, out = agent(capsys, "verify", "run-1")
    assert code == 0, out
    return run


def on_run_branch(run: Run, *commands: tuple[str, ...]) -> None:
    """Run git commands with agent/RUN checked out, as a forger with write access would."""
    git(run.repo, "checkout", "-q", run.branch)
    for command in commands:
        git(run.repo, *command)
    git(run.repo, "checkout", "-q", "main")


def failed(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code, out = agent(capsys, *argv)
    assert code == 3, out
    assert "verified; plain check" not in out
    return out


# 1. the branch changed after signing ---------------------------------------------------------


def test_verify_says_which_policy_and_where_from(signed: Run, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = agent(capsys, "verify", "run-1")
    assert code == 0
    base = signed.base[:10]
    assert out.splitlines()[0].startswith(f"policy: policies/default.yaml committed at base {base}, read from git")
    assert "stage 02: ok, approved by alice@example.com (commit" in out


def test_amended_stage_commit_fails(signed: Run, capsys: pytest.CaptureFixture[str]) -> None:
    (signed.repo / "extra.txt").write_text("not reviewed\n")
    on_run_branch(signed, ("reset", "-q", "--hard", f"refs/agent/{signed.run_id}/stage-1"),
                  ("add", "extra.txt"), (*ME, "commit", "-q", "--amend", "--no-edit"))
    out = failed(capsys, "verify", "run-1")
    assert "(agent: stage 1) is no stage's signed patch on " + signed.base[:10] in out


def test_unsigned_commit_on_top_of_the_stages_fails(signed: Run, capsys: pytest.CaptureFixture[str]) -> None:
    (signed.repo / "backdoor.py").write_text("import os\n")
    on_run_branch(signed, ("add", "backdoor.py"), (*ME, "commit", "-q", "-m", "tidy up"))
    out = failed(capsys, "verify", "run-1")
    assert "(tidy up) is no stage's signed patch on" in out
    assert "stage 01: ok" in out and "stage 02: ok" in out  # the signed stages still say so


def test_branch_rewound_behind_the_log_fails(signed: Run, capsys: pytest.CaptureFixture[str]) -> None:
    on_run_branch(signed, ("reset", "-q", "--hard", f"refs/agent/{signed.run_id}/stage-1"))
    out = failed(capsys, "verify", "run-1")
    assert "stage 02: REJECTED: the audit log records it as applied, but agent/run-1 does not hold it" in out


# 2. the policy swapped for one trusting the forger -------------------------------------------


def swap_policy(capsys: pytest.CaptureFixture[str], run: Run, forger: Path, name: str) -> None:
    """Snapshot trusting the forger's key under a trusted person's name, meta fixed, re-signed."""
    text = policy_yaml([(name, forger, "**")])
    (run.path / "policy.yaml").write_text(text)
    sha = hashlib.sha256(text.encode()).hexdigest()
    meta = json.loads((run.path / "meta.json").read_text())
    (run.path / "meta.json").write_text(json.dumps({**meta, "policy_sha256": sha}))
    for stage in run.parents:
        for old in (run.stage(stage) / "approvals").glob("*"):
            old.unlink()
        code, out = agent(capsys, "approve", run.run_id, "--stage", str(stage), "--key", str(forger),
                          "--repo", str(run.repo))
        assert code == 0, out


def test_swapped_policy_with_a_lookalike_key_fails(signed: Run, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    swap_policy(capsys, signed, keygen(tmp_path / "mallory", "alice@example.com"), "alice@example.com")
    out = failed(capsys, "verify", "run-1")
    assert f"is not policies/default.yaml committed at base {signed.base[:10]}" in out
    assert "policy swapped?" in out and "approved by" not in out


def test_explicit_policy_from_outside_the_run_folder(signed: Run, tmp_path: Path, alice: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    mine = tmp_path / "my-policy.yaml"
    mine.write_text(policy_yaml([("alice@example.com", alice, "**")]))
    code, out = agent(capsys, "verify", "run-1", "--policy", str(mine))
    assert code == 0 and f"policy: {mine} (given with --policy)" in out
    code, out = agent(capsys, "verify", "run-1", "--policy", str(signed.path / "policy.yaml"))
    assert code == 1 and "lies in the run folder being verified" in out


def test_tampered_snapshot_exits_3(signed: Run, capsys: pytest.CaptureFixture[str]) -> None:
    snapshot = signed.path / "policy.yaml"
    snapshot.write_text(snapshot.read_text() + "max_diff_lines: 5\n")
    out = failed(capsys, "verify", "run-1")
    assert "policy.yaml in the run folder" in out and "tampered" in out


def test_base_commit_only_on_the_run_branch_is_not_a_trust_root(signed: Run, tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    """A forger with push access makes a 'base' carrying their own policy; it is on no branch of yours."""
    meta = json.loads((signed.path / "meta.json").read_text())
    on_run_branch(signed, ("commit", "-q", "--allow-empty", "-m", "fake base"))
    fake = git(signed.repo, "rev-parse", signed.branch)
    (signed.path / "meta.json").write_text(json.dumps({**meta, "base_commit": fake}))
    out = failed(capsys, "verify", "run-1")
    assert f"base commit {fake[:10]} is on none of your branches" in out


# 3. the audit log cut or rewritten -----------------------------------------------------------


def rewrite_log(log: Path, entries: list[dict]) -> None:
    """Write entries as a forger would: every hash and link recomputed, audit.head to match."""
    prev = audit.GENESIS
    rows = []
    for seq, entry in enumerate(entries, 1):
        entry = {**entry, "seq": seq, "prev": prev}
        entry["hash"] = prev = audit.entry_hash(entry)
        rows.append(json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False))
    log.write_text("".join(r + "\n" for r in rows))
    audit.head_path(log).write_text(json.dumps({"seq": len(entries), "hash": prev}) + "\n")


def entries(run: Run) -> list[dict]:
    return [json.loads(line) for line in (run.path / "audit.jsonl").read_text().splitlines()]


def test_log_cut_short_with_its_head_rewritten_fails(signed: Run, capsys: pytest.CaptureFixture[str]) -> None:
    rewrite_log(signed.path / "audit.jsonl", entries(signed)[:3])  # stage 2's approval signed entry #4
    code, out = agent(capsys, "audit", "verify", "run-1")
    assert code == 3 and "entry #4, signed as the log's head by" in out and "cut off the end" in out
    assert "audit log: TAMPERED: entry #4" in failed(capsys, "verify", "run-1")


def test_log_entry_edited_with_every_hash_recomputed_fails(signed: Run, capsys: pytest.CaptureFixture[str]) -> None:
    rows = entries(signed)
    rows[0]["data"]["goal"] = "something else"
    rewrite_log(signed.path / "audit.jsonl", rows)
    code, out = agent(capsys, "audit", "verify", "run-1")
    assert code == 3 and "were rewritten" in out and "signed a different log head" in out
    assert "audit log: TAMPERED: entries up to #" in failed(capsys, "verify", "run-1")


def test_intact_log_says_how_far_signatures_cover_it(signed: Run, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = agent(capsys, "audit", "verify", "run-1")
    assert code == 0 and "audit log ok: 5 entries, chain intact" in out and "up to entry #4" in out


def test_missing_audit_log_fails_unless_no_audit(signed: Run, capsys: pytest.CaptureFixture[str]) -> None:
    (signed.path / "audit.jsonl").unlink()
    out = failed(capsys, "verify", "run-1")
    assert "audit log: missing" in out and "pass --no-audit" in out
    code, out = agent(capsys, "verify", "run-1", "--no-audit")
    assert code == 0 and "audit log: not checked (--no-audit)" in out and "stage 02: ok" in out


# 4. paths git quotes --------------------------------------------------------------------------


def quoted_path_patch(tmp_path: Path, name: str) -> str:
    """What git diff writes for a new file whose name git quotes (non-ASCII, '"', '\\')."""
    scratch = tmp_path / "scratch"
    git(tmp_path, "init", "-q", str(scratch))
    (scratch / name).parent.mkdir(parents=True, exist_ok=True)
    (scratch / name).write_text("on: push\njobs: {}\n")
    git(scratch, "add", "-A")
    return git(scratch, "diff", "--cached") + "\n"


@pytest.mark.parametrize("name", ['.github/workflows/déploy.yml', '.github/workflows/a"b.yml',
                                  'policies/x\\y.yaml'])
def test_quoted_protected_path_needs_a_person(tmp_path: Path, alice: Path, name: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    patch = quoted_path_patch(tmp_path, name)
    assert '"b/' in patch  # git quoted the name in the diff header
    ci = keygen(tmp_path / "ci", "ci-bot")
    text = policy_yaml([("alice@example.com", alice, "**")],
                       f'  - name: ci-bot\n    key: {publine(ci)}\n    paths: ["**"]\n    role: ci\n'
                       'ci_may_approve:\n  paths: ["**"]\n  max_diff_lines: 50\n')
    run = make_run(tmp_path / "repo", "run-q", text, {1: patch}, base_files={"src/app.py": APP})
    (run.stage(1) / "verify.json").write_text('{"ok": true}\n')
    assert agent(capsys, "approve", "run-q", "--stage", "1", "--key", str(ci), "--repo", str(run.repo))[0] == 0
    out = failed(capsys, "verify", "run-q", "--repo", str(run.repo))
    assert "is protected: needs a person" in out and "ci-bot is a CI signer and this stage needs a person" in out


def test_patch_git_cannot_read_is_refused() -> None:
    from agent.approval import hunks
    from agent.errors import AgentError

    with pytest.raises(AgentError, match="git cannot read the patch"):
        hunks.changed_paths("diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,5 +1,5 @@\n-a\n+b\n")


# the real thing: a run made by the graph verifies, and plain ssh-keygen agrees ------------------


def test_a_real_run_verifies_against_your_own_key(py_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from agent.llm.scripted import ScriptedModel
    from agent.runs.session import start
    from agent.sandbox.local import LocalRunner
    from tests.conftest import reviewing_terminal
    from tests.graph.test_run_scripted import GOOD_EDIT, PLAN

    files, state = start(py_repo, "validate quantities", reviewing_terminal(), {"sandbox": "none", "model": "scripted"},
                         model=ScriptedModel([PLAN, GOOD_EDIT]), runner=LocalRunner())
    assert [o["status"] for o in state["outcomes"]] == ["applied"]
    code, out = agent(capsys, "verify", files.run_id, "--repo", str(py_repo))
    assert code == 0, out
    assert "policy: agent's shipped default" in out and "trusting your key SHA256:" in out
    sig = next((files.stage_dir(1) / "approvals").glob("*.sig"))
    signer = out.split("approved by ")[1].split(" (")[0]
    plain = subprocess.run(
        ["ssh-keygen", "-Y", "verify", "-f", str(files.dir / "allowed_signers"), "-I", signer,
         "-n", "agent-approval@agent", "-s", str(sig)],
        stdin=sig.with_suffix(".json").open("rb"), capture_output=True, check=False,
    )
    assert plain.returncode == 0, plain.stderr
    # a forger swaps in a policy trusting their own key under your name and re-signs: refused
    forger = keygen(py_repo.parent / "forger", signer)
    run = Run(py_repo, files.dir, files.run_id, "", state["base_commit"], {1: state["base_commit"]})
    swap_policy(capsys, run, forger, signer)
    out = failed(capsys, "verify", files.run_id, "--repo", str(py_repo))
    assert "nor agent's shipped default trusting your key" in out
