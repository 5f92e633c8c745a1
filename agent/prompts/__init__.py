"""Prompt templates, versioned files next to this module; the target of self-refinement.

Templates use ``{name}`` placeholders. The repository context always comes first in the
system message, byte-identical for planner and editor, so the model's prefix cache reuses it.
``AGENT_PROMPTS_DIR`` points them at another directory (``agent eval --prompts DIR`` scores
alternative prompts this way); a template missing there falls back to the bundled one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

from agent.errors import AgentError

ENV = "AGENT_PROMPTS_DIR"


def template(name: str) -> str:
    override = os.environ.get(ENV)
    if override:
        path = Path(override) / f"{name}.md"
        if path.is_file():
            return path.read_text(encoding="utf-8")
    return resources.files("agent.prompts").joinpath(f"{name}.md").read_text(encoding="utf-8")


def render(name: str, **values: str) -> str:
    text = template(name)
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


@contextmanager
def prompts_from(directory: Path | None) -> Iterator[None]:
    """Load templates from ``directory`` inside the block (``None``: the bundled ones)."""
    if directory is not None and not Path(directory).is_dir():
        raise AgentError(f"prompts directory {directory} does not exist: pass a folder of .md templates")
    old = os.environ.get(ENV)
    if directory is None:
        os.environ.pop(ENV, None)
    else:
        os.environ[ENV] = str(Path(directory).resolve())
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = old
