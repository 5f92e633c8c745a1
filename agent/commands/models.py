"""``agent models``: list, fetch, locate and fit-check the local models.

Exit statuses of ``agent models fit``: 0 fits as asked, 3 fits only with the changes it names,
4 does not fit on this machine (other errors: 1).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from agent.errors import AgentError
from agent.llm import registry
from agent.llm.base import ProgressFn
from agent.llm.fit import check_fit
from agent.llm.spec import local_file, parse_spec

app = typer.Typer(help="List, download and check the local models.", no_args_is_help=True)
_err = Console(stderr=True)


@contextmanager
def progress_bar(description: str) -> Iterator[ProgressFn]:
    """A rich progress bar on stderr, driven through the ``ProgressFn`` callback shape."""
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
        TimeRemainingColumn(), console=_err, transient=True,
    ) as bar:
        task = bar.add_task(description, total=1.0)

        def update(what: str, fraction: float) -> None:
            bar.update(task, description=what, completed=fraction)

        yield update


@app.command("list")
def list_models() -> None:
    """Show the bundled models and whether each is assembled here (one line each)."""
    rows = [("NAME", "SIZE", "PULLED", "DESCRIPTION")]
    for model in registry.BUNDLED.values():
        default = " (default)" if model.name == registry.DEFAULT_MODEL else ""
        pulled = "yes" if registry.is_assembled(model.name) else "no"
        rows.append((model.name + default, f"{model.size / 1e9:.2f} GB", pulled, model.description))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row[:3], widths, strict=True)), row[3])


@app.command("pull")
def pull(name: str = typer.Argument(..., help="bundled model name")) -> None:
    """Download and assemble a bundled model (verified by size and sha256)."""
    with progress_bar(f"fetching {name}") as update:
        path = registry.ensure_bundled(name, update)
    print(path)


@app.command("path")
def path(name: str = typer.Argument(..., help="bundled model name")) -> None:
    """Print where a bundled model is (or will be) assembled; exit 1 if not yet pulled."""
    target = registry.bundled_path(name)
    print(target)
    if not registry.is_assembled(name):
        raise typer.Exit(1)


@app.command("fit")
def fit(
    name: str = typer.Argument(..., help="bundled model name or path to a .gguf"),
    ctx: int = typer.Option(4096, "--ctx", help="context length in tokens"),
    kv_cache: str = typer.Option("f16", "--kv-cache", help="KV cache type: f16, q8_0 or q4_0"),
    gpu_layers: int | None = typer.Option(None, "--gpu-layers", help="layers on the GPU (-1 all)"),
    ram_gib: float | None = typer.Option(
        None, "--ram", help="assume this many GiB of free RAM instead of measuring"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
) -> None:
    """Will NAME with --ctx tokens fit in memory here? Exit 0 fits, 3 fits with the changes
    shown, 4 does not fit. Reads only the file header; nothing is loaded."""
    path = _local_file(name)
    free_ram = int(ram_gib * (1 << 30)) if ram_gib is not None else None
    report = check_fit(path, ctx, kv_type=kv_cache, n_gpu_layers=gpu_layers, free_ram=free_ram)
    if as_json:
        print(json.dumps({"model": name, **report.to_dict()}, sort_keys=True))
    else:
        est = report.estimate
        print(f"{name}: weights {_gib(est.weights)}, KV cache {_gib(est.kv_cache)} "
              f"({report.requested.kv_type}), compute {_gib(est.compute)}")
        print(report.summary())
    raise typer.Exit(report.exit_code)


def _local_file(name: str) -> Path:
    """The file to inspect: a bundled model must be pulled first (fit never downloads)."""
    if name in registry.BUNDLED:
        if not registry.is_assembled(name):
            raise AgentError(f"{name} is not pulled yet; run 'agent models pull {name}' first")
        return registry.bundled_path(name)
    return local_file(parse_spec(name))


def _gib(n: int) -> str:
    return f"{n / (1 << 30):.2f} GiB"
