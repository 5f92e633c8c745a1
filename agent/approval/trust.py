"""Which policy ``agent verify`` trusts, and from where: never the run folder's own copy.

Whoever can write the run folder can replace its policy snapshot, fix the hash in
``meta.json`` and sign with a key of their own named like a trusted person. So the policy
that decides comes from outside the run folder (ADR 0010), in this order:

1. ``--policy FILE``: a policy the user gives (it must not lie in the run folder);
2. ``policies/default.yaml`` committed at the run's base, read from git, where the base is on
   one of the user's own branches (not only on the run's branch, which the run can write);
3. without one there, agent's shipped default, as it is or (a person's own run) trusting
   exactly the user's own approval key from their agent home.

The run's recorded policy hash must then be that policy's, or verification fails (exit 3).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.approval.keys import default_key_path, load_key
from agent.approval.line import resolve
from agent.approval.local_policy import REPO_POLICY, is_shipped_with_key
from agent.errors import AgentError
from agent.policy.load import SHIPPED_DEFAULT, LoadedPolicy, load_policy, parse_policy
from agent.vcs import git

FAILED = 3


class Untrusted(AgentError):
    """The run's policy cannot be traced to a trust root: verification fails (exit 3)."""

    exit_code = FAILED

    def __init__(self, message: str) -> None:
        super().__init__(message, FAILED)


@dataclass(frozen=True)
class Trust:
    """The policy verification uses, and a line saying where it came from."""

    loaded: LoadedPolicy
    source: str


def _own_branches(repo: Path, commit: str) -> list[str]:
    """Local branches containing ``commit``, leaving out the runs' ``agent/*`` branches."""
    proc = git.run(repo, "for-each-ref", "--contains", commit, "--format=%(refname:short)", "refs/heads/")
    return [b for b in proc.stdout.decode().split() if not b.startswith("agent/")]


def snapshot_problem(run_path: Path, meta: dict[str, Any]) -> str | None:
    """The run folder's policy copy must still hash to what the run recorded."""
    snapshot = run_path / "policy.yaml"
    if not snapshot.is_file():
        return None
    sha = hashlib.sha256(snapshot.read_bytes()).hexdigest()
    if sha != meta["policy_sha256"]:
        return (f"policy.yaml in the run folder (sha256 {sha[:12]}) is not the policy the run started with "
                f"({str(meta['policy_sha256'])[:12]}): tampered")
    return None


def trusted_policy(run_path: Path, meta: dict[str, Any], explicit: Path | None = None) -> Trust:
    """The policy to verify ``run_path`` against, from a trust root outside the run folder."""
    if explicit is not None:
        if explicit.resolve().is_relative_to(run_path.resolve()):
            raise AgentError(f"--policy {explicit} lies in the run folder being verified; pass one from outside it")
        return Trust(load_policy(explicit), f"{explicit} (given with --policy)")
    repo, base = run_path.parents[2], str(meta["base_commit"])
    if resolve(repo, base) is None:
        raise Untrusted(f"base commit {base[:10]} is not in {repo}; pass --policy FILE (a policy you trust)")
    if not _own_branches(repo, base):
        raise Untrusted(f"base commit {base[:10]} is on none of your branches, only on a run's: its policy "
                        "cannot be trusted; pass --policy FILE (a policy you trust)")
    committed = git.blob(repo, base, REPO_POLICY)
    if committed is not None:
        sha = hashlib.sha256(committed).hexdigest()
        where = f"{REPO_POLICY} committed at base {base[:10]}"
        if sha != meta["policy_sha256"]:
            raise Untrusted(f"the run's policy (sha256 {str(meta['policy_sha256'])[:12]}) is not {where} "
                            f"(sha256 {sha[:12]}): policy swapped?")
        policy = parse_policy(committed.decode("utf-8", errors="replace"), f"{base[:10]}:{REPO_POLICY}")
        return Trust(LoadedPolicy(policy, Path(REPO_POLICY), sha), f"{where}, read from git (sha256 {sha[:12]})")
    shipped = load_policy(SHIPPED_DEFAULT)
    if shipped.sha256 == meta["policy_sha256"]:
        return Trust(shipped, f"agent's shipped default {SHIPPED_DEFAULT} (no {REPO_POLICY} at base {base[:10]})")
    return _shipped_with_your_key(run_path, meta, shipped, base)


def _shipped_with_your_key(run_path: Path, meta: dict[str, Any], shipped: LoadedPolicy, base: str) -> Trust:
    """A person's own run: the shipped default trusting the key in their agent home, and no other."""
    key_path = default_key_path()
    snapshot = run_path / "policy.yaml"
    why = (f"the run's policy is neither {REPO_POLICY} at base {base[:10]} nor agent's shipped default "
           f"trusting your key {key_path}: its snapshot may have been swapped; pass --policy FILE (a policy you trust)")
    if not key_path.exists() or not snapshot.is_file():
        raise Untrusted(why)
    try:
        key, loaded = load_key(key_path), load_policy(snapshot)
    except AgentError as ex:
        raise Untrusted(why) from ex
    if loaded.sha256 != meta["policy_sha256"] or not is_shipped_with_key(loaded.policy, shipped.policy, key.public_key):
        raise Untrusted(why)
    return Trust(loaded, f"agent's shipped default {SHIPPED_DEFAULT}, trusting your key {key.fingerprint} ({key_path})")
