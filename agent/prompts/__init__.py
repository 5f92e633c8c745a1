"""Prompt templates, versioned files next to this module; the target of self-refinement.

Templates use ``{name}`` placeholders. The repository context always comes first in the
system message, byte-identical for planner and editor, so the model's prefix cache reuses it.
"""

from __future__ import annotations

from importlib import resources


def template(name: str) -> str:
    return resources.files("agent.prompts").joinpath(f"{name}.md").read_text(encoding="utf-8")


def render(name: str, **values: str) -> str:
    text = template(name)
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text
