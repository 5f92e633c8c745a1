"""The shape of a policy file (``policies/*.yaml``), strict so a typo cannot loosen a gate."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from agent import sshsig
from agent.sandbox.base import Limits

# Paths the agent may never change without a person, whatever a policy file says:
# its own gates (policies, approval and policy code) and CI configuration.
ALWAYS_PROTECTED: tuple[str, ...] = (
    "policies/**",
    "agent/approval/**",
    "agent/policy/**",
    ".ci/**",
    ".github/**",
    ".gitlab-ci.yml",
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Signer(_Strict):
    """Someone whose SSH key may approve stages touching ``paths``."""

    name: str = Field(min_length=1, pattern=r"^[^\s,]+$")
    key: str  # "ssh-ed25519 AAAA... [comment]", as in git's allowed_signers
    paths: list[str] = Field(min_length=1)
    role: Literal["person", "ci"] = "person"

    @field_validator("key")
    @classmethod
    def _ed25519(cls, value: str) -> str:
        try:
            sshsig.parse_public_line(value)
        except sshsig.SignatureError as ex:
            raise ValueError(str(ex)) from ex
        return value

    @property
    def public_key(self) -> bytes:
        return sshsig.parse_public_line(self.key)


class MultiSignature(_Strict):
    """Paths that need more than one person's signature."""

    paths: list[str] = Field(min_length=1)
    signatures: int = Field(ge=2)


class CiRule(_Strict):
    """Stages CI may approve alone: only these paths, small, every check green."""

    paths: list[str] = Field(min_length=1)
    max_diff_lines: int = Field(ge=1)


class Sandbox(_Strict):
    """Limits for verifying a stage; field names match ``agent.sandbox.base.Limits``."""

    timeout_s: float = Field(default=Limits.timeout_s, gt=0)
    memory_mb: int = Field(default=Limits.memory_mb, ge=64)
    cpus: float = Field(default=Limits.cpus, gt=0)
    pids: int = Field(default=Limits.pids, ge=16)
    output_bytes: int = Field(default=Limits.output_bytes, ge=1024)
    network: Literal["none"] = "none"

    def limits(self) -> Limits:
        return Limits(
            timeout_s=self.timeout_s, memory_mb=self.memory_mb, cpus=self.cpus,
            pids=self.pids, output_bytes=self.output_bytes,
        )


class Policy(_Strict):
    """Who may approve what, which paths need a person, and the sandbox's bounds."""

    version: Literal[1] = 1
    signers: list[Signer] = Field(default_factory=list)
    multi_signature: list[MultiSignature] = Field(default_factory=list)
    protected_paths: list[str] = Field(default_factory=list)
    ci_may_approve: CiRule | None = None
    sandbox: Sandbox = Field(default_factory=Sandbox)
    max_diff_lines: int = Field(default=1000, ge=1)

    @field_validator("signers")
    @classmethod
    def _unique(cls, signers: list[Signer]) -> list[Signer]:
        names = [s.name for s in signers]
        keys = [s.public_key for s in signers]
        if len(set(names)) != len(names) or len(set(keys)) != len(keys):
            raise ValueError("each signer name and key may appear only once")
        return signers

    def protected(self) -> tuple[str, ...]:
        """The file's protected paths plus the floor no policy can remove."""
        return ALWAYS_PROTECTED + tuple(self.protected_paths)

    def signer_for_key(self, public_key: bytes) -> Signer | None:
        return next((s for s in self.signers if s.public_key == public_key), None)

    def signer_named(self, name: str) -> Signer | None:
        return next((s for s in self.signers if s.name == name), None)
