"""SSHSIG made here must verify with real ssh-keygen, and ssh-keygen's must verify here."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from approval_helpers import keygen, publine

from agent import sshsig
from agent.approval import keys
from agent.errors import AgentError

NS = keys.NAMESPACE
MESSAGE = b'{"run_id":"r1","stage":1}\n'


def ssh_verify(tmp: Path, key: Path, sig: str, message: bytes, namespace: str = NS) -> int:
    allowed = tmp / "allowed_signers"
    allowed.write_text(f'alice@example.com namespaces="{NS}" {publine(key)}\n')
    (tmp / "msg.sig").write_text(sig)
    return subprocess.run(
        ["ssh-keygen", "-Y", "verify", "-f", str(allowed), "-I", "alice@example.com",
         "-n", namespace, "-s", str(tmp / "msg.sig")],
        input=message, capture_output=True, check=False,
    ).returncode


def ssh_sign(key: Path, message: bytes, namespace: str = NS) -> str:
    return subprocess.run(
        ["ssh-keygen", "-q", "-Y", "sign", "-f", str(key), "-n", namespace],
        input=message, capture_output=True, check=True,
    ).stdout.decode()


def test_our_signature_verifies_with_ssh_keygen(tmp_path: Path) -> None:
    key = keygen(tmp_path / "alice")
    sig = keys.sign_message(keys.load_key(key), MESSAGE)
    assert ssh_verify(tmp_path, key, sig, MESSAGE) == 0
    assert ssh_verify(tmp_path, key, sig, MESSAGE + b"x") != 0
    assert ssh_verify(tmp_path, key, sig, MESSAGE, namespace="git") != 0


def test_ssh_keygen_signature_verifies_here(tmp_path: Path) -> None:
    key = keygen(tmp_path / "alice")
    sig = ssh_sign(key, MESSAGE)
    verified = sshsig.verify(sig, MESSAGE, NS)
    assert verified.public_key == sshsig.parse_public_line(publine(key))
    fp = subprocess.run(["ssh-keygen", "-lf", f"{key}.pub"], capture_output=True, text=True)
    assert verified.fingerprint == fp.stdout.split()[1]
    with pytest.raises(sshsig.SignatureError, match="does not match"):
        sshsig.verify(sig, MESSAGE.replace(b"1", b"2"), NS)
    with pytest.raises(sshsig.SignatureError, match="namespace"):
        sshsig.verify(ssh_sign(key, MESSAGE, "git"), MESSAGE, NS)


def test_keys_init_key_works_with_ssh_keygen(tmp_path: Path) -> None:
    key, created = keys.init_key("alice@example.com")
    assert created and oct(key.path.stat().st_mode & 0o777) == "0o600"
    assert keys.init_key()[1] is False  # never replaces an existing key
    assert sshsig.verify(ssh_sign(key.path, MESSAGE), MESSAGE, NS).fingerprint == key.fingerprint


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda s: s[: len(s) // 2] + "\n-----END SSH SIGNATURE-----\n", "truncated|base64"),
        (lambda s: s.replace(s.splitlines()[1], "!" + s.splitlines()[1][1:]), "base64"),
        (lambda s: "\n".join(s.splitlines()[1:]), "BEGIN/END"),
        (lambda s: s.replace(s.splitlines()[2][:8], "AAAAAAAA"), "truncated|does not match|magic"),
    ],
)
def test_damaged_signature_is_one_line_error(
    tmp_path: Path, damage: Callable[[str], str], reason: str
) -> None:
    sig = ssh_sign(keygen(tmp_path / "k"), MESSAGE)
    with pytest.raises(sshsig.SignatureError, match=reason) as err:
        sshsig.verify(damage(sig), MESSAGE, NS)
    assert "\n" not in str(err.value)


def test_rsa_key_is_refused(tmp_path: Path) -> None:
    rsa = tmp_path / "rsa"
    subprocess.run(["ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", str(rsa)],
                   check=True, capture_output=True)
    with pytest.raises(AgentError, match="not an ed25519 key"):
        keys.load_key(rsa)


def test_encrypted_key_signs_through_ssh_agent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = keygen(tmp_path / "enc", passphrase="s3cret-pass")
    askpass = tmp_path / "askpass.sh"
    askpass.write_text("#!/bin/sh\necho s3cret-pass\n")
    askpass.chmod(0o700)
    sock = tmp_path / "agent.sock"
    agent = subprocess.Popen(["ssh-agent", "-D", "-a", str(sock)], stdout=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if sock.exists():
                break
            time.sleep(0.05)
        env = {**os.environ, "SSH_AUTH_SOCK": str(sock), "SSH_ASKPASS": str(askpass),
               "SSH_ASKPASS_REQUIRE": "force", "DISPLAY": ":0"}
        subprocess.run(["ssh-add", str(key)], env=env, check=True, capture_output=True,
                       stdin=subprocess.DEVNULL, timeout=30)
        monkeypatch.setenv("SSH_AUTH_SOCK", str(sock))
        signing = keys.load_key(key)  # public half from enc.pub: no passphrase needed
        sig = keys.sign_message(signing, MESSAGE)
        assert sshsig.verify(sig, MESSAGE, NS).fingerprint == signing.fingerprint
        assert ssh_verify(tmp_path, key, sig, MESSAGE) == 0
    finally:
        agent.send_signal(signal.SIGTERM)
        agent.wait(timeout=10)
