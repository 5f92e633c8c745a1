"""Approval signing keys: make one, find the one to use, sign a statement with it.

Plain OpenSSH ed25519 keys, the same ones git signs commits with, so a developer's
existing key works. Unencrypted keys sign in Python; passphrase-protected keys are
handed to ``ssh-keygen -Y sign``, which asks for the passphrase or uses ssh-agent.
"""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_ssh_private_key,
)

from agent import sshsig
from agent.errors import AgentError
from agent.home import data_home
from agent.vcs import git

NAMESPACE = "agent-approval@agent"
KEY_NAME = "agent_ed25519"


@dataclass(frozen=True)
class SigningKey:
    """A private key on disk and the public half that identifies it."""

    path: Path
    public_key: bytes

    @property
    def fingerprint(self) -> str:
        return sshsig.fingerprint(self.public_key)


def keys_dir() -> Path:
    return data_home() / "keys"


def default_key_path() -> Path:
    return keys_dir() / KEY_NAME


def init_key(identity: str | None = None) -> tuple[SigningKey, bool]:
    """Make agent's own key (0600) unless one exists; returns it and whether it is new."""
    path = default_key_path()
    if path.exists():
        return load_key(path), False
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.OpenSSH, NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    comment = identity or f"{getpass.getuser()}@{socket.gethostname()}"
    blob = sshsig.public_blob(key.public_key())
    path.with_suffix(".pub").write_text(f"{sshsig.public_line(blob)} {comment}\n")
    return SigningKey(path, blob), True


def _git_signing_key() -> Path | None:
    """git's ``user.signingkey`` when it names a file: the key the developer already signs with."""
    try:
        out = git.run(".", "config", "--get", "user.signingkey", timeout=10).stdout.decode().strip()
    except (OSError, subprocess.TimeoutExpired):
        return None
    if not out or out.startswith("key::"):
        return None
    path = Path(out).expanduser()
    return path if path.exists() else None


def resolve_key_path(explicit: Path | None) -> Path:
    """--key, else agent's own key, else git's SSH signing key ; .pub = its private half."""
    candidates = [explicit] if explicit else [default_key_path(), _git_signing_key()]
    for path in candidates:
        if path is None:
            continue
        if path.suffix == ".pub":
            path = path.with_suffix("")
        if path.exists():
            return path
        if explicit:
            raise AgentError(f"no private key at {path}; pass --key PATH to an ed25519 key")
    raise AgentError("no signing key found; run 'agent keys init' or pass --key PATH")


def _public_of(path: Path) -> bytes:
    pub = path.with_name(path.name + ".pub")
    if not pub.exists():
        raise AgentError(f"{path} is encrypted and {pub} is missing; keep the .pub next to it")
    try:
        return sshsig.parse_public_line(pub.read_text())
    except sshsig.SignatureError as ex:
        raise AgentError(f"{pub}: {ex}; use an ed25519 key") from ex


def load_key(path: Path) -> SigningKey:
    """The key's public half; an encrypted key is read from its ``.pub`` file."""
    try:
        private = load_ssh_private_key(path.read_bytes(), password=None)
    except TypeError:  # passphrase-protected: ssh-keygen will sign it
        return SigningKey(path, _public_of(path))
    except (ValueError, OSError) as ex:
        raise AgentError(f"{path} is not an OpenSSH private key; pass an ed25519 key") from ex
    if not isinstance(private, Ed25519PrivateKey):
        raise AgentError(f"{path} is not an ed25519 key; make one with 'agent keys init'")
    return SigningKey(path, sshsig.public_blob(private.public_key()))


def sign_message(key: SigningKey, message: bytes) -> str:
    """Armored SSHSIG of ``message`` in agent's approval namespace."""
    try:
        private = load_ssh_private_key(key.path.read_bytes(), password=None)
    except TypeError:
        return _sign_with_ssh_keygen(key.path, message)
    assert isinstance(private, Ed25519PrivateKey)  # load_key checked the type
    return sshsig.sign(private, message, NAMESPACE)


def _sign_with_ssh_keygen(path: Path, message: bytes) -> str:
    """Passphrase or ssh-agent keys: ssh-keygen prompts on the terminal or asks the agent."""
    if shutil.which("ssh-keygen") is None:
        raise AgentError(f"{path} is encrypted and ssh-keygen is missing; use an unencrypted key")
    proc = subprocess.run(
        ["ssh-keygen", "-q", "-Y", "sign", "-f", str(path), "-n", NAMESPACE],
        input=message, capture_output=True, check=False, timeout=300,
    )
    if proc.returncode != 0:
        detail = proc.stderr.decode(errors="replace").strip().splitlines()
        reason = detail[-1] if detail else f"exit {proc.returncode}"
        raise AgentError(f"ssh-keygen could not sign with {path} ({reason}); add it to ssh-agent")
    return proc.stdout.decode()
