"""Builders for approval tests: real ssh-keygen keys, a policy, a run laid out as the graph does."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from agent.approval import audit
from agent.approval.runs import snapshot_policy, stage_dir
from agent.approval.statement import patch_sha256
from agent.policy.load import load_policy

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
BASE = "a" * 40


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

    def stage(self, n: int) -> Path:
        return stage_dir(self.path, n)


def make_run(
    repo: Path, run_id: str, policy_text: str, patches: dict[int, str] | None = None
) -> Run:
    """A run whose stages were all applied (audit log says so), awaiting signatures."""
    (repo / "policies").mkdir(parents=True, exist_ok=True)
    policy = repo / "policies" / "default.yaml"
    policy.write_text(policy_text)
    loaded = load_policy(policy)
    path = repo / ".agent" / "runs" / run_id
    path.mkdir(parents=True)
    meta = {
        "run_id": run_id, "repo": str(repo), "base_commit": BASE, "goal": "g", "model": "m",
        "policy_path": "policies/default.yaml", "policy_sha256": loaded.sha256,
    }
    (path / "meta.json").write_text(json.dumps(meta))
    snapshot_policy(path, loaded)
    log = path / "audit.jsonl"
    audit.append_event(log, run_id, "run_started", {"goal": "g"})
    for n, patch in (patches or {1: PATCH}).items():
        stage_dir(path, n).mkdir(parents=True)
        (stage_dir(path, n) / "patch.diff").write_text(patch)
        applied = {"stage": n, "patch_sha256": patch_sha256(patch)}
        audit.append_event(log, run_id, "applied", applied)
    return Run(repo, path, run_id, loaded.sha256)


def fields(run: Run, stage: int = 1, **over: object) -> dict[str, object]:
    """Statement fields for a stage, as the graph passes them to sign_approval."""
    patch = (run.stage(stage) / "patch.diff").read_bytes()
    out: dict[str, object] = {
        "run_id": run.run_id, "stage": stage, "patch_sha256": patch_sha256(patch),
        "base_commit": BASE, "policy_sha256": run.policy_sha,
    }
    out.update(over)
    return out
