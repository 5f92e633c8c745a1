"""Builders for CI tests: keys, a policy with person and CI signers, a target repository with a
real bare remote, clones, and signing on the proposal branch as a maintainer would."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from agent.ci.layout import record_path
from agent.commands.approval import approve
from tests.conftest import WORKSPACES, git, make_repo
from tests.graph.test_run_scripted import GOOD_EDIT, PLAN

ME = ("-c", "user.name=Maintainer", "-c", "user.email=m@example.com")
README_OLD = "Tests: `python3 -m pytest -q`.\n"
README_EDIT = json.dumps({"edits": [{"file": "README.md", "search": README_OLD,
                                     "replace": README_OLD + "Negative quantities are refused.\n"}]})
CI_NOTE_EDIT = json.dumps({"edits": [{"file": ".ci/notes.md", "search": "", "replace": "# CI notes\n"}]})
DOCS_STAGE = {"title": "Document it", "intent": "Say so in the README.", "files": ["README.md"]}
CI_STAGE = {"title": "CI notes", "intent": "Add notes for CI.", "files": [".ci/notes.md"]}
THREE_STAGES = json.dumps({"stages": [*json.loads(PLAN)["stages"], DOCS_STAGE, CI_STAGE]})
DOCS_ONLY = json.dumps({"stages": [DOCS_STAGE]})
REPLIES_THREE = [THREE_STAGES, GOOD_EDIT, README_EDIT, CI_NOTE_EDIT]
REPLIES_DOCS = [DOCS_ONLY, README_EDIT]


def keygen(path: Path) -> Path:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", path.name, "-f", str(path)],
                   check=True, capture_output=True)
    return path


def policy_text(keys: dict[str, Path], rules: list[str] | None = None) -> str:
    """Every key a signer for all paths (ci-bot with role ci), then ``rules``; by default alice
    and bob are people, code under inventory/ needs both, and CI may approve Markdown alone."""
    lines = ["version: 1", "signers:"]
    for name, key in keys.items():
        pub = " ".join(key.with_name(key.name + ".pub").read_text().split()[:2])
        lines += [f"  - name: {name}", f"    key: {pub}", '    paths: ["**"]']
        if name == "ci-bot":
            lines.append("    role: ci")
    lines += rules if rules is not None else [
        "multi_signature:", '  - paths: ["inventory/**"]', "    signatures: 2",
        "ci_may_approve:", '  paths: ["**/*.md"]', "  max_diff_lines: 50"]
    return "\n".join(lines) + "\n"


def target_with_remote(root: Path, keys: dict[str, Path], policy: str | None = None,
                       files: dict[str, str] | None = None) -> tuple[Path, Path]:
    """py-inventory with a policy (``policy_text`` unless given) and any extra ``files`` committed
    on main, pushed to a real bare repository."""
    repo = make_repo(WORKSPACES / "py-inventory", root / "target")
    for name, text in {"policies/default.yaml": policy or policy_text(keys), **(files or {})}.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    git(repo, "add", "-A")
    git(repo, *ME, "commit", "-q", "-m", "policy")
    remote = root / "remote.git"
    git(root, "init", "-q", "--bare", "-b", "main", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    git(repo, "push", "-q", "origin", "main")
    return repo, remote


def fresh_clone(remote: Path, dest: Path) -> Path:
    """A clone as a CI job makes it: no .agent directory, nothing but what was pushed."""
    git(dest.parent, "clone", "-q", str(remote), str(dest))
    return dest


def copy_remote(remote: Path, dest: Path) -> Path:
    """A bare copy of the remote, so one test's signatures and landing do not leak into another."""
    git(dest.parent, "clone", "-q", "--bare", str(remote), str(dest))
    return dest


def sign_and_push(remote: Path, work: Path, run_id: str, signatures: dict[int, list[Path]]) -> Path:
    """Check out agent/RUN, sign the given stages with the given keys, commit, push; the checkout."""
    clone = fresh_clone(remote, work)
    git(clone, "checkout", "-q", f"agent/{run_id}")
    for stage, keys in signatures.items():
        for key in keys:  # plain 'agent approve RUN --stage N', as the issue documents it
            approve(run_id, stage=stage, key=key, repo=clone)
    git(clone, "add", record_path(run_id))
    git(clone, *ME, "commit", "-q", "-m", f"approve run {run_id}")
    git(clone, "push", "-q", "origin", f"agent/{run_id}")
    return clone
