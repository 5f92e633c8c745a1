"""CI bot mode: propose and apply without a terminal."""

from __future__ import annotations

import typer

from agent.commands.notbuilt import not_built

app = typer.Typer(help="Run the graph unattended in CI (bot mode).", no_args_is_help=True)


@app.command("propose")
def propose(goal: str = typer.Option(..., "--goal")) -> None:
    """Plan, propose and verify every stage; push branch agent/RUN."""
    raise not_built("ci propose")


@app.command("apply")
def apply(run: str = typer.Argument(...)) -> None:
    """Verify signatures, re-run checks, fast-forward the target branch."""
    raise not_built("ci apply")
