"""Prompt templates, versioned files next to this module; the target of self-refinement.

Templates use ``{name}`` placeholders (a lower-case identifier between braces, nothing else:
JSON like ``{"edits": [...]}`` and code like ``{ a }`` stay literal). Rendering is one pass:
every placeholder must be given a value and every value must have its placeholder, and the
inserted text is never scanned again, so a shown file that contains ``{goal}`` reaches the
model byte for byte. The repository context always comes first in the system message,
byte-identical for planner and editor, so the model's prefix cache reuses it.
``AGENT_PROMPTS_DIR`` points them at another directory (``agent eval --prompts DIR`` scores
alternative prompts this way); a template missing there falls back to the bundled one.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

from agent.errors import AgentError

ENV = "AGENT_PROMPTS_DIR"
PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


class TemplateError(AgentError):
    """A template whose placeholders do not match what its caller fills in."""


def bundled_names() -> list[str]:
    """The bundled templates' names (without ``.md``)."""
    folder = resources.files("agent.prompts")
    return sorted(p.name[:-3] for p in folder.iterdir() if p.name.endswith(".md"))


def template(name: str) -> str:
    override = os.environ.get(ENV)
    if override:
        path = Path(override) / f"{name}.md"
        if path.is_file():
            return path.read_text(encoding="utf-8")
    return resources.files("agent.prompts").joinpath(f"{name}.md").read_text(encoding="utf-8")


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def mismatch(name: str, text: str, expected: set[str]) -> str:
    """Why ``text`` cannot stand for template ``name`` whose callers fill ``expected``; "" if it can."""
    found = placeholders(text)
    lost, unknown = sorted(expected - found), sorted(found - expected)
    if lost:
        return f"prompt template {name}.md lost placeholder {{{lost[0]}}}: put it back, its caller fills it in"
    if unknown:
        known = ", ".join(f"{{{k}}}" for k in sorted(expected)) or "none"
        return f"prompt template {name}.md has unknown placeholder {{{unknown[0]}}}: use only {known}"
    return ""


def fill(name: str, text: str, values: dict[str, str]) -> str:
    """``text`` with each placeholder replaced once by its value; refuses any mismatch."""
    problem = mismatch(name, text, set(values))
    if problem:
        raise TemplateError(problem)
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


def render(name: str, **values: str) -> str:
    return fill(name, template(name), values)


def prompts_hash(directory: Path | None = None) -> str:
    """A short hash of the templates a run would read: ``directory``'s, falling back to the
    bundled ones (what ``agent eval`` reports as the prompts it scored)."""
    digest = hashlib.sha256()
    names = set(bundled_names())
    if directory is not None:
        names |= {p.stem for p in Path(directory).glob("*.md")}
    for name in sorted(names):
        local = Path(directory) / f"{name}.md" if directory is not None else None
        if local is not None and local.is_file():
            text = local.read_text(encoding="utf-8")
        else:
            text = resources.files("agent.prompts").joinpath(f"{name}.md").read_text(encoding="utf-8")
        digest.update(f"{name}\0{len(text.encode())}\0".encode() + text.encode())
    return digest.hexdigest()[:12]


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
