"""The approval statement: the small document a person signs to let one stage be applied.

It binds the signature to this run, this stage, the exact patch bytes, the base commit,
the policy in force and the signer's key, so it cannot be replayed or reused after a change.
The signed bytes are stored next to the signature so plain ``ssh-keygen -Y verify`` can check it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agent.approval.keys import SigningKey, load_key, resolve_key_path, sign_message
from agent.approval.runs import stage_dir
from agent.errors import AgentError

KIND = "agent-approval/v1"
FIELDS = ("run_id", "stage", "patch_sha256", "base_commit", "policy_sha256")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def patch_sha256(patch: str | bytes) -> str:
    data = patch.encode() if isinstance(patch, str) else patch
    return hashlib.sha256(data).hexdigest()


def canonical(statement: dict[str, Any]) -> bytes:
    """The exact bytes signed: sorted keys, no spaces, one trailing newline."""
    return (json.dumps(statement, sort_keys=True, separators=(",", ":")) + "\n").encode()


def file_stem(fingerprint: str) -> str:
    """A fingerprint made safe as a file name (base64 has '/' and '+')."""
    return fingerprint.replace(":", "_").replace("/", "_").replace("+", "-")


def _check_fields(fields: dict[str, Any]) -> dict[str, Any]:
    missing = [f for f in FIELDS if fields.get(f) in (None, "")]
    if missing:
        raise AgentError(f"approval statement lacks {', '.join(missing)}; the run is incomplete")
    if not isinstance(fields["stage"], int) or isinstance(fields["stage"], bool):
        raise AgentError("approval statement's stage must be a number")
    for name in ("patch_sha256", "policy_sha256"):
        if not _HEX64.match(str(fields[name])):
            raise AgentError(f"approval statement's {name} is not a SHA-256 hex digest")
    return {f: fields[f] for f in FIELDS}


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def sign_approval(run_dir: Path, statement_fields: dict[str, Any], key: Path | None = None) -> Path:
    """Sign a stage's statement with ``key`` (default: agent's or git's key); returns the .sig path.

    ``statement_fields`` holds run_id, stage, patch_sha256, base_commit, policy_sha256; the
    key fingerprint and time are added here. Writes ``stages/NN/statement.json`` (the stage's
    fields) and ``stages/NN/approvals/<fingerprint>.json`` + ``.sig`` (what this key signed).
    """
    fields = _check_fields(statement_fields)
    sdir = stage_dir(run_dir, fields["stage"])
    patch = sdir / "patch.diff"
    if patch.exists() and patch_sha256(patch.read_bytes()) != fields["patch_sha256"]:
        raise AgentError(f"{patch} does not match the patch being approved; review it again")
    signing: SigningKey = load_key(resolve_key_path(key))
    statement = {
        "kind": KIND,
        **fields,
        "key_fingerprint": signing.fingerprint,
        "signed_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    message = canonical(statement)
    armored = sign_message(signing, message)
    approvals = sdir / "approvals"
    approvals.mkdir(parents=True, exist_ok=True)
    _write(sdir / "statement.json", json.dumps(fields, indent=2, sort_keys=True).encode() + b"\n")
    stem = file_stem(signing.fingerprint)
    _write(approvals / f"{stem}.json", message)
    sig = approvals / f"{stem}.sig"
    _write(sig, armored.encode())
    return sig
