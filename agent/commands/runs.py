"""Commands over existing runs: resume, rollback, list."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from agent.rundir import find_run
from agent.rundir import list_runs as runs_in
from agent.runs.console import make_console, terminal
from agent.runs.driver import Paused


def resume(
    run: str = typer.Argument(..., help="Run id (see 'agent runs')."),
    repo: Path = typer.Option(None, "--repo", help="The run's repository (default: from the run index)."),
    no_color: bool = typer.Option(False, "--no-color"),
) -> None:
    """Continue a run that was paused at the approval gate or killed."""
    from agent.evals.prompt_gate import judge_prompts
    from agent.runs.session import resume as resume_run

    console = make_console(no_color)
    files = find_run(run, repo)
    try:
        state = resume_run(files, terminal(console), prompt_gate=judge_prompts)
    except Paused:
        console.print(f"\nPaused with its state kept; continue with: agent resume {run}")
        raise typer.Exit(130) from None
    console.print(state.get("report", ""), markup=False)


def rollback(
    run: str = typer.Argument(..., help="Run id."),
    to_stage: int = typer.Option(None, "--to-stage", help="Keep stages up to N (0: back to the base)."),
    repo: Path = typer.Option(None, "--repo", help="The run's repository (default: from the run index)."),
) -> None:
    """Move a finished run's branch back to a checkpoint (default: undo its newest stage)."""
    from agent.runs.rollback import rollback_run

    files = find_run(run, repo)
    undone = rollback_run(files, to_stage)
    print(f"Rolled back agent/{run}: undid {', '.join(undone)}")


def list_runs(repo: Path = typer.Option(Path("."), "--repo", help="Repository.")) -> None:
    """List the runs of a repository, newest last."""
    for files in runs_in(repo.resolve()):
        meta = files.meta()
        failure = files.dir / "failure.json"
        if (files.dir / "report.json").is_file():
            status = "finished"
        elif files.pending_path.is_file():
            status = "waiting for approval"
        elif failure.is_file():
            status = "failed: " + json.loads(failure.read_text()).get("reason", "")[:60]
        else:
            status = "stopped"
        print(f"{files.run_id}  {status:22} {json.dumps(meta['goal'])}")
