"""Keep secrets out of the audit log: an append-only log cannot be cleaned later.

Private key blocks, values under secret-sounding keys, ``NAME=value`` pairs whose name
sounds secret, and well-known token shapes are replaced before anything is written.
"""

from __future__ import annotations

import re
from typing import Any

REDACTED = "[redacted]"
_SECRET_NAME = (
    r"[A-Za-z0-9_.-]*(?:SECRET|TOKEN|PASSWORD|PASSWD|PASSPHRASE|API_?KEY|PRIVATE_?KEY"
    r"|CREDENTIAL|AUTHORIZATION)[A-Za-z0-9_.-]*"
)
_KEY_NAME = re.compile(_SECRET_NAME, re.IGNORECASE)
_PATTERNS = [
    re.compile(
        r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\Z)", re.S
    ),
    re.compile(rf"\b({_SECRET_NAME})(\s*[=:]\s*)(\"[^\"]*\"|'[^']*'|\S+)", re.IGNORECASE),
    re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|sk-[A-Za-z0-9_-]{20,}"
               r"|xox[abprs]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16}|hf_[A-Za-z0-9]{20,})\b"),
]


def redact_text(text: str) -> str:
    text = _PATTERNS[0].sub("[redacted private key]", text)
    text = _PATTERNS[1].sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    return _PATTERNS[2].sub(REDACTED, text)


def redact(value: Any) -> Any:
    """A copy of a JSON-like payload with secrets replaced (and values under secret names)."""
    if isinstance(value, dict):
        return {
            k: REDACTED if _KEY_NAME.fullmatch(str(k)) and isinstance(v, str) and v else redact(v)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return redact_text(value)
    return value
