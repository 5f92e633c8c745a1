"""``agent eval``: the evaluation suite that gates self-refinement, scored per task."""

from __future__ import annotations

import json
from pathlib import Path

import typer


def eval_command(
    repeat: int = typer.Option(1, "--repeat", min=1, help="Runs per task (run k uses seed+k)."),
    model: str = typer.Option(None, "--model", "-m", help="Bundled model name, GGUF path or hf:REPO/FILE."),
    prompts: Path = typer.Option(None, "--prompts", help="A folder of prompt templates to score."),
    task: list[str] = typer.Option(None, "--task", "-t", help="Only this task (repeatable)."),
    sandbox: str = typer.Option(None, "--sandbox", help="docker, bwrap, or none (tests unsandboxed on this machine)."),
    ctx: int = typer.Option(None, "--ctx", help="Model context length in tokens."),
    kv_cache: str = typer.Option(None, "--kv-cache", help="KV cache type: f16 (default), q8_0 or q4_0."),
    gpu_layers: int = typer.Option(None, "--gpu-layers", help="Model layers on the GPU (default or -1: all)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of the table."),
) -> None:
    """Run the bundled evaluation suite and print a score per task and the total, with the model used."""
    from agent.config import load_settings
    from agent.errors import AgentError
    from agent.evals import TASKS, load_tasks
    from agent.evals.suite import evaluate
    from agent.runs.console import make_console, terminal
    from agent.runs.session import open_model, open_runner

    console = make_console()
    tasks = load_tasks(task or None)
    if prompts is not None and not prompts.is_dir():
        raise AgentError(f"--prompts {prompts} is not a folder: pass a folder of .md prompt templates")
    settings = load_settings(TASKS, {"model": model, "ctx": ctx, "kv_cache": kv_cache, "gpu_layers": gpu_layers,
                                     "sandbox": sandbox})
    llm = open_model(settings, terminal(console).busy)
    with open_runner(settings, TASKS) as runner:
        with console.status(f"Running {len(tasks)} task(s) x {repeat} with {llm.name}"):
            result = evaluate(tasks, llm, settings, runner, prompts, repeat)
    if as_json:
        print(json.dumps(result.as_dict()))
        return
    console.print(f"agent eval: model {result.model}, prompts {result.prompts}, {repeat} run(s) per task")
    for t in result.tasks:
        why = f"  {t.why[0]}" if t.why else ""
        console.print(f"  {t.task:<22} {t.score:.2f} ({sum(t.runs)}/{len(t.runs)}){why}", markup=False)
    console.print(f"total {result.total:.2f} / {len(result.tasks)}")
