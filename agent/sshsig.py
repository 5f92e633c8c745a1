"""SSHSIG (OpenSSH's ``ssh-keygen -Y sign`` format) for ed25519, in Python.

Written to PROTOCOL.sshsig so that a signature we make verifies with plain
``ssh-keygen -Y verify`` and one made by ``ssh-keygen -Y sign`` verifies here:
anyone can check an approval without this tool.
"""

from __future__ import annotations

import base64
import hashlib
import re
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

MAGIC = b"SSHSIG"
VERSION = 1
ED25519 = b"ssh-ed25519"
HASHES = {"sha256": hashlib.sha256, "sha512": hashlib.sha512}
BEGIN = "-----BEGIN SSH SIGNATURE-----"
END = "-----END SSH SIGNATURE-----"
_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")


class SignatureError(ValueError):
    """A signature that is malformed, truncated, or does not verify; message is one line."""


@dataclass(frozen=True)
class Verified:
    """What a good signature proves: which key signed, under which namespace."""

    public_key: bytes  # SSH wire blob: string "ssh-ed25519" || string key
    fingerprint: str


def _string(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


class _Reader:
    """Reads SSH wire fields; any overrun is a truncated signature, not a crash."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def raw(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise SignatureError("signature is truncated")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def uint32(self) -> int:
        return int(struct.unpack(">I", self.raw(4))[0])

    def string(self) -> bytes:
        return self.raw(self.uint32())

    def done(self) -> bool:
        return self.pos == len(self.data)


def public_blob(key: Ed25519PublicKey) -> bytes:
    """The key as SSH wire bytes, the form fingerprints and allowed_signers use."""
    raw = key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return _string(ED25519) + _string(raw)


def fingerprint(blob: bytes) -> str:
    """``SHA256:...`` exactly as ``ssh-keygen -l`` prints it."""
    digest = base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    return f"SHA256:{digest}"


def parse_public_line(line: str) -> bytes:
    """Blob of an ``ssh-ed25519 AAAA... comment`` line; only ed25519 is accepted."""
    parts = line.split()
    if len(parts) < 2 or parts[0] != ED25519.decode():
        raise SignatureError("public key must be an 'ssh-ed25519 AAAA...' line")
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except ValueError as ex:
        raise SignatureError("public key is not valid base64") from ex
    reader = _Reader(blob)
    if reader.string() != ED25519 or len(reader.string()) != 32 or not reader.done():
        raise SignatureError("public key is not a well-formed ed25519 key")
    return blob


def public_line(blob: bytes) -> str:
    return f"{ED25519.decode()} {base64.b64encode(blob).decode()}"


def _signed_data(namespace: str, hash_alg: str, message: bytes) -> bytes:
    return (
        MAGIC
        + _string(namespace.encode())
        + _string(b"")
        + _string(hash_alg.encode())
        + _string(HASHES[hash_alg](message).digest())
    )


def armor(blob: bytes) -> str:
    text = base64.b64encode(blob).decode()
    lines = [text[i : i + 70] for i in range(0, len(text), 70)]
    return "\n".join([BEGIN, *lines, END]) + "\n"


def dearmor(text: str) -> bytes:
    lines = [line.strip() for line in text.strip().splitlines()]
    if len(lines) < 3 or lines[0] != BEGIN or lines[-1] != END:
        raise SignatureError("not an armored SSH signature (missing BEGIN/END lines)")
    body = "".join(lines[1:-1])
    if not _BASE64.fullmatch(body):
        raise SignatureError("signature body is not valid base64 (garbled)")
    if len(body) % 4:
        raise SignatureError("signature is truncated (incomplete base64)")
    return base64.b64decode(body)


def sign(key: Ed25519PrivateKey, message: bytes, namespace: str) -> str:
    """Armored SSHSIG over ``message``; sha512 as ``ssh-keygen`` uses by default."""
    signature = key.sign(_signed_data(namespace, "sha512", message))
    blob = (
        MAGIC
        + struct.pack(">I", VERSION)
        + _string(public_blob(key.public_key()))
        + _string(namespace.encode())
        + _string(b"")
        + _string(b"sha512")
        + _string(_string(ED25519) + _string(signature))
    )
    return armor(blob)


def verify(armored: str, message: bytes, namespace: str) -> Verified:
    """Check an armored signature; the caller decides whether the key is trusted."""
    reader = _Reader(dearmor(armored))
    if reader.raw(6) != MAGIC:
        raise SignatureError("not an SSHSIG signature (bad magic)")
    if reader.uint32() != VERSION:
        raise SignatureError("unsupported SSHSIG version")
    key_blob = reader.string()
    sig_namespace = reader.string().decode(errors="replace")
    reader.string()  # reserved
    hash_alg = reader.string().decode(errors="replace")
    sig_field = reader.string()
    if not reader.done():
        raise SignatureError("signature has trailing bytes")
    if sig_namespace != namespace:
        raise SignatureError(f"signature namespace is '{sig_namespace}', expected '{namespace}'")
    if hash_alg not in HASHES:
        raise SignatureError(f"unsupported hash algorithm '{hash_alg}'")
    key_reader = _Reader(key_blob)
    if key_reader.string() != ED25519:
        raise SignatureError("signing key is not ed25519")
    raw_key = key_reader.string()
    sig_reader = _Reader(sig_field)
    if sig_reader.string() != ED25519:
        raise SignatureError("signature algorithm is not ssh-ed25519")
    raw_sig = sig_reader.string()
    try:
        Ed25519PublicKey.from_public_bytes(raw_key).verify(
            raw_sig, _signed_data(namespace, hash_alg, message)
        )
    except (InvalidSignature, ValueError) as ex:
        raise SignatureError("signature does not match the signed statement") from ex
    return Verified(public_key=key_blob, fingerprint=fingerprint(key_blob))
