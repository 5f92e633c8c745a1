"""Settings of a run: defaults, then the target's ``pyproject.toml [tool.agent]``, then
``.agent.toml``, then ``AGENT_*`` environment variables, then command-line flags.

Validated with pydantic so a typo stops the run with the file and the field, not a traceback.
"""

from __future__ import annotations

import os
import shlex
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agent.errors import AgentError


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str = "qwen2.5-coder-1.5b"
    ctx: int = Field(8192, ge=1024, description="model context length in tokens")
    kv_cache: Literal["f16", "q8_0", "q4_0"] = Field("f16", description="KV cache element type")
    gpu_layers: int | None = Field(None, ge=-1, description="layers on the GPU; -1 or unset: all there are")
    reply_tokens: int = Field(1536, ge=128, description="tokens kept free for a reply")
    max_stages: int = Field(3, ge=1, le=20)
    edit_retries: int = Field(2, ge=0, le=10, description="re-asks after a reply that does not parse or match")
    candidates: int = Field(4, ge=1, le=20, description="most candidate patches a stage tries")
    stage_seconds: float = Field(180, gt=0, description="wall-clock budget of one stage's candidate search")
    candidate_temperature: float = Field(0.7, ge=0, le=2, description="sampling temperature after the first")
    edit_format: Literal["auto", "whole", "search-replace"] = Field(
        "auto", description="whole files for small files (auto), or search/replace edits"
    )
    revisions: int = Field(1, ge=0, le=10, description="re-proposals after a rejection with a reason")
    test_command: list[str] | None = None
    test_timeout: float = Field(300, gt=0)
    sandbox: Literal["docker", "bwrap", "none"] = "docker"
    seed: int = 0
    temperature: float = Field(0.0, ge=0, le=2, description="sampling temperature of the plan and first candidate")
    strategy: str = Field("general", description="how the goal becomes stages: general, c2rust, self")
    gate_repeat: int = Field(3, ge=1, le=10, description="eval runs per task and prompt set in the self gate")

    @property
    def context_budget(self) -> int:
        """Tokens the packed repository may take: the context minus prompts and the reply."""
        return max(512, self.ctx - self.reply_tokens - 1024)


ENV_FIELDS = {
    "AGENT_MODEL": "model", "AGENT_CTX": "ctx", "AGENT_SANDBOX": "sandbox", "AGENT_EDIT_FORMAT": "edit_format",
}


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise AgentError(f"{path}: cannot read settings ({err}); fix the file") from None


def load_settings(repo: Path, overrides: dict[str, Any] | None = None) -> Settings:
    """Merge every source of settings for ``repo``; later sources win."""
    merged: dict[str, Any] = {}
    sources: list[str] = []
    pyproject = repo / "pyproject.toml"
    if pyproject.is_file():
        section = _read_toml(pyproject).get("tool", {}).get("agent", {})
        merged.update(section)
        sources.append(str(pyproject))
    dot = repo / ".agent.toml"
    if dot.is_file():
        data = _read_toml(dot)
        if isinstance(data.get("test"), dict) and "command" in data["test"]:
            data["test_command"] = data.pop("test")["command"]
        merged.update(data)
        sources.append(str(dot))
    if merged.get("sandbox") == "none":
        raise AgentError(
            f"{', '.join(sources)}: a repository's settings cannot turn the sandbox off; "
            "remove 'sandbox = \"none\"' (only --sandbox none on the command line can)"
        )
    for env, field in ENV_FIELDS.items():
        if os.environ.get(env):
            merged[field] = os.environ[env]
    if isinstance(merged.get("test_command"), str):
        merged["test_command"] = shlex.split(merged["test_command"])
    merged.update({k: v for k, v in (overrides or {}).items() if v is not None})
    try:
        return Settings(**merged)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        origin = ", ".join(sources) or "settings"
        raise AgentError(f"{origin}: setting '{where}': {first['msg']}; fix it or remove it") from None
