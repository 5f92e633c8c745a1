"""The line a command that the product will have, but this version lacks, prints."""

from __future__ import annotations

from agent.errors import NotBuiltYet


def not_built(command: str) -> NotBuiltYet:
    return NotBuiltYet(f"'agent {command}' is not built yet in this version; see the README for what is")
