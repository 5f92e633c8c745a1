"""The evaluation suite that gates self-refinement."""

from __future__ import annotations

import typer

from agent.commands.notbuilt import not_built


def eval_command(repeat: int = typer.Option(1, "--repeat", help="Runs per task.")) -> None:
    """Run the bundled evaluation suite and print a score per task."""
    raise not_built("eval")
