"""``agent refine``: plan a goal as stages and carry them out behind approvals."""

from __future__ import annotations

import shlex
from pathlib import Path

import typer

from agent.errors import AgentError
from agent.runs.console import make_console, terminal
from agent.runs.driver import Paused
from agent.runs.session import start


def refine(
    path: Path | None = typer.Argument(
        None, help="The git repository to work on (or a bundled example under workspaces/); omit with --self."
    ),
    goal: str = typer.Option(..., "--goal", "-g", help="What to change, in plain words."),
    model: str = typer.Option(
        None, "--model", "-m", help="Bundled model name, GGUF path, hf:REPO/FILE or scripted:FILE."
    ),
    ctx: int = typer.Option(None, "--ctx", help="Model context length in tokens."),
    kv_cache: str = typer.Option(None, "--kv-cache", help="KV cache type: f16 (default), q8_0 or q4_0 (less memory)."),
    gpu_layers: int = typer.Option(None, "--gpu-layers", help="Model layers on the GPU (default or -1: all; 0: none)."),
    max_stages: int = typer.Option(None, "--max-stages", help="Most stages the plan may have."),
    sandbox: str = typer.Option(
        None, "--sandbox", help="docker (default), bwrap, or none (runs tests unsandboxed on this machine)."
    ),
    test_command: str = typer.Option(None, "--test-command", help="Command that runs the tests (default: detected)."),
    allow_dirty: bool = typer.Option(
        False, "--allow-dirty", help="Start from HEAD even with uncommitted changes (they stay untouched)."
    ),
    no_color: bool = typer.Option(False, "--no-color", help="Plain text output."),
    strategy: str = typer.Option(
        None, "--strategy", help="general, c2rust or self (default: c2rust when the goal says 'to Rust')."
    ),
    self_: bool = typer.Option(False, "--self", help="Refine agent's own prompts (its repository is the target)."),
    gate_repeat: int = typer.Option(
        None, "--gate-repeat", help="With --self: runs per eval task and prompt set in the gate (default 3)."
    ),
    record: Path = typer.Option(
        None, "--record", help="Write every model reply to this JSON file (replay with --model scripted:FILE)."
    ),
) -> None:
    """Plan GOAL as staged rewrites of PATH; each stage is tested, shown, and applied only if approved."""
    from agent.evals.prompt_gate import judge_prompts
    from agent.rewrites import strategy_from_goal
    from agent.rewrites.self_refine import self_target

    console = make_console(no_color)
    overrides = {
        "model": model,
        "ctx": ctx,
        "kv_cache": kv_cache,
        "gpu_layers": gpu_layers,
        "max_stages": max_stages,
        "sandbox": sandbox,
        "test_command": shlex.split(test_command) if test_command else None,
        "strategy": strategy or ("self" if self_ else strategy_from_goal(goal)),
        "gate_repeat": gate_repeat,
    }
    if self_:
        path = self_target()
    if path is None:
        raise AgentError("no repository given: pass PATH, or --self to refine agent's own prompts")
    try:
        _, state = start(path, goal, terminal(console), overrides, allow_dirty=allow_dirty, record=record,
                         prompt_gate=judge_prompts)
    except Paused as paused:
        console.print(f"\nPaused with its state kept; continue with: agent resume {paused.args[0]}")
        raise typer.Exit(130) from None
    console.print(state.get("report", ""), markup=False)
