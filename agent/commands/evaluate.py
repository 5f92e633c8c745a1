"""``agent eval``: the evaluation suite that gates self-refinement, scored per task with how sure
the figures are; ``--compare A B`` says whether one result beats another beyond the noise."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from agent.evals import Task
    from agent.evals.scores import SuiteScore, TaskRun


def eval_command(
    repeat: int = typer.Option(1, "--repeat", min=1, help="Runs per task; run k has its own seed and temperature."),
    model: str = typer.Option(None, "--model", "-m", help="Bundled model name, GGUF path or hf:REPO/FILE."),
    prompts: Path = typer.Option(None, "--prompts", help="A folder of prompt templates to score."),
    task: list[str] = typer.Option(None, "--task", "-t", help="Only this task (repeatable)."),
    part: str = typer.Option(None, "--part", help="Only the tuning or the heldout tasks."),
    quick: bool = typer.Option(False, "--quick", help="Only the quick subset (8 tasks, 4 from each part)."),
    sandbox: str = typer.Option(None, "--sandbox", help="docker, bwrap, or none (tests unsandboxed on this machine)."),
    ctx: int = typer.Option(None, "--ctx", help="Model context length in tokens."),
    kv_cache: str = typer.Option(None, "--kv-cache", help="KV cache type: f16 (default), q8_0 or q4_0."),
    gpu_layers: int = typer.Option(None, "--gpu-layers", help="Model layers on the GPU (default or -1: all)."),
    compare: tuple[str, str] | None = typer.Option(
        None, "--compare", help="Two results (id or prompts hash from the history): does B beat A?"
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of the table."),
) -> None:
    """Run the bundled evaluation suite: per task solved/K, the solve rate with its spread, seconds
    and model calls; every result is appended to the history for --compare."""
    from agent.errors import AgentError
    from agent.evals import PARTS, TASKS, load_tasks
    from agent.evals.history import append, history_path
    from agent.evals.suite import evaluate, sampling
    from agent.runs.console import make_console

    console = make_console()
    if compare is not None:
        _compare(console, compare[0], compare[1], as_json)
        return
    if part is not None and part not in PARTS:
        raise AgentError(f"--part {part} is not a part of the suite: use one of {', '.join(PARTS)}")
    tasks = load_tasks(task or None, part=part, quick=quick)
    if not tasks:
        raise AgentError("no eval task matches --task, --part and --quick together: drop one of them")
    if prompts is not None and not prompts.is_dir():
        raise AgentError(f"--prompts {prompts} is not a folder: pass a folder of .md prompt templates")
    from agent.config import load_settings
    from agent.runs.console import terminal
    from agent.runs.session import open_model, open_runner

    settings = load_settings(TASKS, {"model": model, "ctx": ctx, "kv_cache": kv_cache, "gpu_layers": gpu_layers,
                                     "sandbox": sandbox})
    llm = open_model(settings, terminal(console).busy)
    temps = "/".join(f"{sampling(k, settings.seed)[1]:.1f}" for k in range(repeat))
    if not as_json:
        _say(console, f"agent eval: {len(tasks)} task(s) x {repeat} with {llm.name} "
                      f"(seeds {settings.seed}..{settings.seed + repeat - 1}, temperatures {temps})")

    def progress(t: Task, r: TaskRun) -> None:
        if not as_json:
            _say(console, f"  {t.name}: {'solved' if r.solved else 'failed'} in {r.seconds:.0f} s ({r.calls} calls)")

    with open_runner(settings, TASKS) as runner:
        with console.status("Running the suite"):
            result = evaluate(tasks, llm, settings, runner, prompts, repeat, on_run=progress)
    append(result)
    if as_json:
        print(json.dumps(result.as_dict()))
        return
    _table(console, result)
    _say(console, f"result {result.id} appended to {history_path()}; "
                  f"compare with: agent eval --compare {result.id} OTHER")


def _say(console: Console, text: str) -> None:
    console.print(text, markup=False, soft_wrap=True)


def _table(console: Console, result: SuiteScore) -> None:
    _say(console, f"model {result.model}, prompts {result.prompts}, {result.repeat} run(s) per task")
    _say(console, f"  {'task':<26} {'part':<8} solved  seconds  calls  first failure")
    for t in result.tasks:
        why = next((r.why for r in t.runs if r.why), "")
        seconds, calls = sum(r.seconds for r in t.runs), sum(r.calls for r in t.runs)
        _say(console, f"  {t.task:<26} {t.part:<8} {t.solved}/{len(t.runs):<5} {seconds:7.0f}  {calls:5d}  {why}")
    rates = ", ".join(f"{r:.2f}" for r in result.repeat_rates())
    _say(console, f"solve rate {result.rate:.2f} ± {result.spread:.2f} (sd over {result.repeat} repeat(s): {rates}); "
                  f"tuning {result.part('tuning').rate:.2f}, held-out {result.part('heldout').rate:.2f}")
    _say(console, f"{result.seconds:.0f} s, {result.calls} model calls")


def _compare(console: Console, a_ref: str, b_ref: str, as_json: bool) -> None:
    from agent.evals.compare import compare
    from agent.evals.history import find

    a, b = find(a_ref), find(b_ref)
    parts = {"all": (a, b), "heldout": (a.part("heldout"), b.part("heldout")),
             "tuning": (a.part("tuning"), b.part("tuning"))}
    found = {name: compare(x, y) for name, (x, y) in parts.items()
             if name == "all" or {t.task for t in x.tasks} & {t.task for t in y.tasks}}
    if as_json:
        print(json.dumps({"a": a.id, "b": b.id, **{
            name: {"tasks": c.tasks, "wins": c.wins, "losses": c.losses, "a_rate": c.a_rate, "b_rate": c.b_rate,
                   "p": c.p, "b_beats_a": c.beats} for name, c in found.items()}}))
        return
    _say(console, f"A {a.id}: model {a.model}, prompts {a.prompts}, {a.repeat} run(s) per task")
    _say(console, f"B {b.id}: model {b.model}, prompts {b.prompts}, {b.repeat} run(s) per task")
    for name, c in found.items():
        _say(console, f"  {name:<8} B {c.summary()}")
    verdict = "beats" if found["all"].beats else "does not beat"
    _say(console, f"B {verdict} A beyond the noise on the tasks both scored")
