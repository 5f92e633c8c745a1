"""The approval statement: the small document a person signs to let one stage be applied.

It binds the signature to this run, this stage, the exact patch bytes, the base commit, the
commit the patch applies to (so stages cannot be dropped, repeated or reordered), the policy in
force, the audit log's head when it was signed (so the log up to there cannot be cut or
rewritten) and the signer's key: it cannot be replayed or reused after a change. The signed
bytes are stored next to the signature so plain ``ssh-keygen -Y verify`` can check it.
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
from agent.errors import AgentError
from agent.rundir import stage_dir

KIND = "agent-approval/v2"
PROPOSAL_KIND = "agent-proposal/v1"
FIELDS = ("run_id", "stage", "patch_sha256", "base_commit", "parent_commit", "policy_sha256", "audit_head")
OPTIONAL = frozenset({"audit_head"})  # None where no audit log exists (a checkout of agent/RUN)
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_COMMIT = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")


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
    missing = [f for f in FIELDS if f not in OPTIONAL and fields.get(f) in (None, "")]
    if missing:
        raise AgentError(f"approval statement lacks {', '.join(missing)}; the run is incomplete")
    if not isinstance(fields["stage"], int) or isinstance(fields["stage"], bool):
        raise AgentError("approval statement's stage must be a number")
    for name in ("patch_sha256", "policy_sha256"):
        if not _HEX64.match(str(fields[name])):
            raise AgentError(f"approval statement's {name} is not a SHA-256 hex digest")
    for name in ("base_commit", "parent_commit"):
        if not _COMMIT.match(str(fields[name])):
            raise AgentError(f"approval statement's {name} is not a full git commit id")
    head = fields.get("audit_head")
    if head is not None and (
        not isinstance(head, dict) or set(head) != {"seq", "hash"} or not _HEX64.match(str(head["hash"]))
    ):
        raise AgentError("approval statement's audit_head must be {seq, hash} of an audit entry")
    return {f: fields.get(f) for f in FIELDS}


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _sign_into(directory: Path, kind: str, fields: dict[str, Any], key: Path | None) -> Path:
    """Sign ``kind`` + ``fields`` + key fingerprint + time; write ``<fp>.json`` and ``<fp>.sig``."""
    signing: SigningKey = load_key(resolve_key_path(key))
    statement = {
        "kind": kind,
        **fields,
        "key_fingerprint": signing.fingerprint,
        "signed_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    message = canonical(statement)
    armored = sign_message(signing, message)
    directory.mkdir(parents=True, exist_ok=True)
    stem = file_stem(signing.fingerprint)
    _write(directory / f"{stem}.json", message)
    sig = directory / f"{stem}.sig"
    _write(sig, armored.encode())
    return sig


def sign_approval(run_dir: Path, statement_fields: dict[str, Any], key: Path | None = None) -> Path:
    """Sign a stage's statement with ``key`` (default: agent's or git's key); returns the .sig path.

    ``statement_fields`` holds ``FIELDS``; the key fingerprint and time are added here. Writes
    ``stages/NN/statement.json`` (the stage's fields) and ``stages/NN/approvals/<fingerprint>.json``
    + ``.sig`` (what this key signed).
    """
    fields = _check_fields(statement_fields)
    sdir = stage_dir(run_dir, fields["stage"])
    patch = sdir / "patch.diff"
    if patch.exists() and patch_sha256(patch.read_bytes()) != fields["patch_sha256"]:
        raise AgentError(f"{patch} does not match the patch being approved; review it again")
    sig = _sign_into(sdir / "approvals", KIND, fields, key)
    _write(sdir / "statement.json", json.dumps(fields, indent=2, sort_keys=True).encode() + b"\n")
    return sig


def proposal_fields(run_id: str, base: str, policy_sha: str, stages: list[dict[str, Any]]) -> dict[str, Any]:
    """What a CI proposal signature binds: the run and its whole stage line, in order.

    ``stages`` are ``{stage, parent_commit, commit, patch_sha256}``; signing the list is what
    makes dropping, repeating or reordering stages on the branch detectable, the last one too.
    """
    keep = ("stage", "parent_commit", "commit", "patch_sha256")
    return {"run_id": run_id, "base_commit": base, "policy_sha256": policy_sha,
            "stages": [{k: s[k] for k in keep} for s in stages]}


def sign_proposal(record_dir: Path, fields: dict[str, Any], key: Path | None) -> Path:
    """Sign a CI proposal's stage line into ``record_dir/proposal/<fp>.{json,sig}``."""
    return _sign_into(record_dir / "proposal", PROPOSAL_KIND, fields, key)
