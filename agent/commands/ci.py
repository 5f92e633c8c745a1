"""CI bot mode: propose and apply without a terminal; maintainers sign on the proposal branch.

Exit status: 0 done; 1 a user error; 2 a usage error; 3 verification failed (signatures,
policy, or the branch was changed after the proposal); 4 checks failed (no stage passed in
``propose``; the final tree's checks in ``apply``); 75 a stage failed outside the graph;
130 interrupted (``propose``: nothing pushed).
"""

from __future__ import annotations

import shlex
from pathlib import Path

import typer

from agent.ci.apply import apply_run
from agent.ci.layout import record_path
from agent.ci.propose import main_goal, propose
from agent.ci.sign import approve_in_checkout
from agent.runs.driver import Paused

app = typer.Typer(help="Run the graph unattended in CI (bot mode).", no_args_is_help=True)

RepoOpt = typer.Option(Path("."), "--repo", help="The repository (a clone in CI); default: here.")
RemoteOpt = typer.Option("origin", "--remote", help="Git remote name or URL the branches live on.")


@app.command("propose")
def propose_command(
    goal: str = typer.Option(None, "--goal", help="What to change, in plain words."),
    goal_file: Path = typer.Option(None, "--goal-file", help="Read the goal from a file ('-': stdin)."),
    issue_body: Path = typer.Option(None, "--issue-body", help="A Markdown issue body: its title line and text."),
    repo: Path = RepoOpt,
    remote: str = RemoteOpt,
    target: str = typer.Option(None, "--target", help="Branch to land on later (default: the current one)."),
    artifacts: Path = typer.Option(None, "--artifacts", help="Where artifacts go (default: the run dir)."),
    ci_key: Path = typer.Option(None, "--ci-key", help="CI signer's ed25519 key (default: $AGENT_CI_KEY)."),
    model: str = typer.Option(None, "--model", "-m", help="Model name, GGUF path, hf:REPO/FILE or scripted:FILE."),
    kv_cache: str = typer.Option(None, "--kv-cache", help="KV cache type: f16 (default), q8_0 or q4_0."),
    gpu_layers: int = typer.Option(None, "--gpu-layers", help="Model layers on the GPU (default or -1: all)."),
    sandbox: str = typer.Option(None, "--sandbox", help="docker (default), bwrap, or none."),
    test_command: str = typer.Option(None, "--test-command", help="Command that runs the tests (default: detected)."),
    max_stages: int = typer.Option(None, "--max-stages", help="Most stages the plan may have."),
) -> None:
    """Plan, propose and verify every stage; push branch agent/RUN; write CI artifacts."""
    overrides = {"model": model, "kv_cache": kv_cache, "gpu_layers": gpu_layers, "sandbox": sandbox,
                 "max_stages": max_stages, "test_command": shlex.split(test_command) if test_command else None}
    try:
        result = propose(repo, main_goal(goal, goal_file, issue_body), remote, artifacts, ci_key, target, overrides)
    except Paused as paused:  # Ctrl-C or a job's timeout: the state is kept, nothing was pushed
        print(f"run {paused.args[0]}: interrupted, nothing pushed; propose again to start over")
        raise typer.Exit(130) from None
    print(f"run {result.run_id}: proposal pushed; report {result.artifacts_dir / 'report.md'}")


@app.command("approve")
def approve_command(
    run: str = typer.Argument(..., help="Run id."),
    stage: int = typer.Option(..., "--stage", help="Stage number."),
    key: Path = typer.Option(None, "--key", help="ed25519 private key (default: agent's, then git's)."),
    repo: Path = RepoOpt,
) -> None:
    """Sign a stage in a checkout of branch agent/RUN; then commit and push the signature."""
    sig, signer = approve_in_checkout(repo.resolve(), run, stage, key)
    print(f"stage {stage} approved by {signer}; signature {sig}")
    print(f"next: git add {record_path(run)} && git commit -m 'approve run {run}' && git push")


@app.command("apply")
def apply_command(
    run: str = typer.Argument(..., help="Run id."),
    repo: Path = RepoOpt,
    remote: str = RemoteOpt,
    target: str = typer.Option(None, "--target", help="Branch to fast-forward (default: the run's)."),
    kv_cache: str = typer.Option(None, "--kv-cache", help="KV cache type: f16 (default), q8_0 or q4_0."),
    gpu_layers: int = typer.Option(None, "--gpu-layers", help="Model layers on the GPU (default or -1: all)."),
    sandbox: str = typer.Option(None, "--sandbox", help="docker (default), bwrap, or none."),
) -> None:
    """Verify signatures, re-run checks, fast-forward the target branch."""
    landed = apply_run(repo, run, remote, target, {"sandbox": sandbox})
    print(f"run {run}: stages {', '.join(map(str, landed.stages))} verified; checks {landed.checks}; "
          f"{landed.target} fast-forwarded to {landed.commit[:10]}")
