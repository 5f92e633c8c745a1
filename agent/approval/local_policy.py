"""The policy in force for a run, fixed at its start and kept in the run directory.

A repository's own ``policies/default.yaml`` is used as it is. Without one, the shipped
default applies, and for a person's own interactive run it also trusts that person's
approval key (made on first use), so the person at the terminal can approve, while the
multi-signature and protected-path rules still hold: one person alone can never approve a
change to agent's own gates.

A repository's policy must be committed as it is on disk: verification later trusts the
policy committed at the run's base, never the run folder's copy (ADR 0010).
"""

from __future__ import annotations

import getpass
import socket
from collections.abc import Callable
from pathlib import Path

import yaml

from agent.approval.keys import init_key
from agent.errors import AgentError
from agent.policy.load import SHIPPED_DEFAULT, LoadedPolicy, default_policy_path, load_policy
from agent.policy.model import Policy
from agent.rundir import write_atomic
from agent.sshsig import public_line
from agent.vcs import git

REPO_POLICY = "policies/default.yaml"


def policy_for_run(
    repo: Path, run_dir: Path, trust_local_user: bool, say: Callable[[str], None] = print
) -> LoadedPolicy:
    """Load the policy for ``repo``, snapshot it as ``run_dir/policy.yaml``, return the snapshot."""
    source = default_policy_path(repo)
    loaded = load_policy(source)
    if source != SHIPPED_DEFAULT:
        _check_committed(repo, source)
    data = yaml.safe_load(source.read_text())
    if trust_local_user and source == SHIPPED_DEFAULT and not loaded.policy.signers:
        key, created = init_key()
        if created:
            say(f"Made your approval key {key.path} (the key your approvals are signed with)")
        name = f"{getpass.getuser()}@{socket.gethostname()}"
        data["signers"] = [{"name": name, "key": public_line(key.public_key), "paths": ["**"]}]
        text = f"# The shipped policy ({source}), trusting {name}'s approval key for this run.\n" + yaml.safe_dump(
            data, sort_keys=False
        )
    else:
        text = source.read_text()
    snapshot = run_dir / "policy.yaml"
    write_atomic(snapshot, text)
    return load_policy(snapshot)


def _check_committed(repo: Path, source: Path) -> None:
    """The policy file on disk must be the one committed at HEAD (the run's base)."""
    committed = git.blob(repo, "HEAD", REPO_POLICY)
    if committed is None or committed != source.read_bytes():
        raise AgentError(
            f"{source} is not as committed at HEAD; commit it first "
            "(a run is verified against the policy committed at its base)"
        )


def is_shipped_with_key(policy: Policy, shipped: Policy, public_key: bytes) -> bool:
    """Whether ``policy`` is what ``policy_for_run`` makes for a person's own run: the shipped
    default, trusting exactly one person, with ``public_key``, for every path."""
    if policy.model_dump(exclude={"signers"}) != shipped.model_dump(exclude={"signers"}):
        return False
    if len(policy.signers) != 1:
        return False
    signer = policy.signers[0]
    return signer.public_key == public_key and signer.paths == ["**"] and signer.role == "person"
