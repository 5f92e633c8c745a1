"""The policy in force for a run, fixed at its start and kept in the run directory.

A repository's own ``policies/default.yaml`` is used as it is. Without one, the shipped
default applies, and for a person's own interactive run it also trusts that person's
approval key (made on first use), so the person at the terminal can approve, while the
multi-signature and protected-path rules still hold: one person alone can never approve a
change to agent's own gates.
"""

from __future__ import annotations

import getpass
import socket
from collections.abc import Callable
from pathlib import Path

import yaml

from agent.approval.keys import init_key
from agent.approval.sshsig import public_line
from agent.policy.load import SHIPPED_DEFAULT, LoadedPolicy, default_policy_path, load_policy
from agent.runs.files import write_atomic


def policy_for_run(
    repo: Path, run_dir: Path, trust_local_user: bool, say: Callable[[str], None] = print
) -> LoadedPolicy:
    """Load the policy for ``repo``, snapshot it as ``run_dir/policy.yaml``, return the snapshot."""
    source = default_policy_path(repo)
    loaded = load_policy(source)
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
