"""Builders for approval tests: real ssh-keygen keys, a policy, a run laid out as the graph does."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from agent.approval import audit, hunks
from agent.approval.statement import patch_sha256
from agent.cli import main
from agent.policy.load import load_policy
from agent.rundir import stage_dir

PATCH = """diff --git a/src/app.py b/src/app.py
index 1111111..2222222 100644
--- a/src/app.py
+++ b/src/app.py
@@ -1,3 +1,3 @@
 def main():
-    return 1
+    return 2
 # end
"""
PATCH2 = PATCH.replace("return 2", "return 3").replace("return 1", "return 2")
ID = ("-c", "user.name=Test", "-c", "user.email=test@example.com")
APP = "def main():\n    return 1\n# end\n"  # what every path a test patch touches holds at the base


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


def keygen(path: Path, comment: str = "test", passphrase: str = "") -> Path:
    """A real OpenSSH ed25519 key, as a developer would already have."""
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-C", comment, "-f", str(path)],
        check=True, capture_output=True,
    )
    return path


def publine(key: Path) -> str:
    return " ".join(key.with_name(key.name + ".pub").read_text().split()[:2])


def policy_yaml(signers: list[tuple[str, Path, str]], extra: str = "") -> str:
    """Signers as (name, key, paths-glob)."""
    lines = ["version: 1", "signers:"]
    for name, key, paths in signers:
        lines += [f"  - name: {name}", f"    key: {publine(key)}", f'    paths: ["{paths}"]']
    return "\n".join(lines) + "\n" + extra


@dataclass
class Run:
    repo: Path
    path: Path
    run_id: str
    policy_sha: str
    base: str
    parents: dict[int, str]  # stage -> the commit its patch was applied to

    def stage(self, n: int) -> Path:
        return stage_dir(self.path, n)

    @property
    def branch(self) -> str:
        return f"agent/{self.run_id}"


def make_run(
    repo: Path, run_id: str, policy_text: str, patches: dict[int, str] | None = None,
    base_files: dict[str, str] | None = None,
) -> Run:
    """A real git repository with the policy committed on main, and a run whose stages were all
    applied as the graph applies them: one commit each on ``agent/RUN`` with a checkpoint ref,
    an ``applied`` audit entry each; awaiting signatures. The base holds ``base_files``, by
    default ``APP`` at every path the patches touch."""
    patches = patches or {1: PATCH}
    (repo / "policies").mkdir(parents=True)
    (repo / "policies" / "default.yaml").write_text(policy_text)
    if base_files is None:
        base_files = {p: APP for patch in patches.values() for p in hunks.changed_paths(patch)}
    for path, text in base_files.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(text)
    git(repo, "init", "-q", "-b", "main")
    (repo / ".git" / "info" / "exclude").write_text("/.agent/\n")
    git(repo, "add", "-A")
    git(repo, *ID, "commit", "-q", "-m", "base")
    base = git(repo, "rev-parse", "HEAD")
    loaded = load_policy(repo / "policies" / "default.yaml")
    path = repo / ".agent" / "runs" / run_id
    path.mkdir(parents=True)
    meta = {
        "run_id": run_id, "repo": str(repo), "base_commit": base, "goal": "g", "model": "m",
        "policy_path": "policies/default.yaml", "policy_sha256": loaded.sha256,
    }
    (path / "meta.json").write_text(json.dumps(meta))
    (path / "policy.yaml").write_bytes(loaded.path.read_bytes())  # the snapshot a run keeps
    log = path / "audit.jsonl"
    audit.append_event(log, run_id, "run_started", {"goal": "g"})
    git(repo, "checkout", "-q", "-b", f"agent/{run_id}")
    parents = {}
    for n, patch in patches.items():
        stage_dir(path, n).mkdir(parents=True)
        (stage_dir(path, n) / "patch.diff").write_text(patch)
        parents[n] = git(repo, "rev-parse", "HEAD")
        commit = stage_commit(repo, patch, f"agent: stage {n}")
        git(repo, "update-ref", f"refs/agent/{run_id}/stage-{n}", commit)
        applied = {"stage": n, "patch_sha256": patch_sha256(patch), "commit": commit}
        audit.append_event(log, run_id, "applied", applied)
    git(repo, "checkout", "-q", "main")
    return Run(repo, path, run_id, loaded.sha256, base, parents)


def stage_commit(repo: Path, patch: str, message: str) -> str:
    """Apply ``patch`` to the checked-out branch and commit it, as the graph's apply node does."""
    subprocess.run(["git", "apply", "--index", "-"], cwd=repo, input=patch.encode(), check=True)
    git(repo, *ID, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def fields(run: Run, stage: int = 1, **over: object) -> dict[str, object]:
    """Statement fields for a stage, as the graph passes them to sign_approval."""
    patch = (run.stage(stage) / "patch.diff").read_bytes()
    out: dict[str, object] = {
        "run_id": run.run_id, "stage": stage, "patch_sha256": patch_sha256(patch),
        "base_commit": run.base, "parent_commit": run.parents[stage], "policy_sha256": run.policy_sha,
        "audit_head": audit.signed_head(run.path / "audit.jsonl"),
    }
    out.update(over)
    return out


def agent(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    """Run the agent command line in-process: (exit status, what it printed)."""
    with pytest.raises(SystemExit) as done:
        main(list(argv))
    out = capsys.readouterr()
    return int(done.value.code or 0), out.out + out.err
