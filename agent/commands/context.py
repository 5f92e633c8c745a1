"""Show what the context engine would pack for a repository, and why the rest is left out."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from agent.context.pack import PackedContext, pack_repository
from agent.context.scan import ScanRules
from agent.context.tokens import default_counter
from agent.errors import AgentError

SHOWN_PER_REASON = 5


def context(
    path: Annotated[Path, typer.Argument(help="Repository (a git work tree).")],
    goal: Annotated[str, typer.Option("--goal", help="What the model will work on.")] = "",
    budget: Annotated[int, typer.Option("--budget", help="Token budget.")] = 32_000,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    tokenizer: Annotated[str, typer.Option(
        "--tokenizer",
        help="'model': the model's own tokenizer (GGUF from --model-path, $AGENT_TOKENIZER_GGUF "
        "or the bundled model); 'approx': about 3 characters a token.",
    )] = "model",
    model_path: Annotated[
        Path | None, typer.Option("--model-path", help="GGUF file to tokenize with.")
    ] = None,
    max_file_kb: Annotated[
        int, typer.Option("--max-file-kb", help="Skip files larger than this.")
    ] = 1000,
    exclude: Annotated[
        list[str] | None, typer.Option("--exclude", help="Skip files matching (repeatable).")
    ] = None,
    include: Annotated[list[str] | None, typer.Option(
        "--include", help="Keep files a default rule skips as vendored/generated (repeatable)."
    )] = None,
    show_all: Annotated[bool, typer.Option("--all", help="List every left-out file.")] = False,
    show_text: Annotated[bool, typer.Option("--text", help="Print the packed text.")] = False,
) -> None:
    """Print files packed in full, as signatures, and left out, with token counts."""
    if budget <= 0:
        raise AgentError(f"--budget must be positive, got {budget}: pass e.g. --budget 32000")
    if max_file_kb <= 0:
        raise AgentError(f"--max-file-kb must be positive, got {max_file_kb}")
    counter, note = default_counter(tokenizer, model_path)
    rules = ScanRules(max_file_bytes=max_file_kb * 1000, exclude=tuple(exclude or ()),
                      include=tuple(include or ()))
    packed = pack_repository(path, goal, budget, counter, rules=rules)
    if note:
        typer.echo(note, err=True)
    if show_text:
        typer.echo(packed.text, nl=False)
        return
    if as_json:
        typer.echo(json.dumps(_as_dict(packed, path, goal, budget, counter.tokenizer_id)))
        return
    _print_table(packed, budget, counter.tokenizer_id, show_all)


def _as_dict(p: PackedContext, repo: Path, goal: str, budget: int, tok: str) -> dict[str, object]:
    return {
        "repo": str(repo), "goal": goal, "budget": budget, "tokens": p.tokens, "tokenizer": tok,
        "digest": p.digest,
        "files_full": [{"path": f, "tokens": p.costs[f]} for f in p.files_full],
        "files_signatures": [{"path": f, "tokens": p.costs[f]} for f in p.files_signatures],
        "files_listed": p.files_listed,
        "left_out": p.left_out,
        "notes": p.notes,
        "stats": {k: round(v, 3) for k, v in p.stats.items()},
    }


def _print_table(p: PackedContext, budget: int, tok: str, show_all: bool) -> None:
    out = Console()
    if not (p.files_full or p.files_signatures or p.left_out):
        out.print("nothing to pack: git lists no files in this repository")
        return
    table = Table(title=f"{p.tokens} of {budget} tokens ({tok})")
    table.add_column("file", overflow="fold")
    table.add_column("packed as", no_wrap=True)
    table.add_column("tokens", justify="right", no_wrap=True)
    table.add_column("note")
    for f in p.files_full:
        table.add_row(f, "full", str(p.costs[f]), p.notes.get(f, ""))
    for f in p.files_signatures:
        table.add_row(f, "signatures", str(p.costs[f]), p.notes.get(f, ""))
    out.print(table)
    if p.files_listed:
        out.print(f"{len(p.files_listed)} more files listed by name only.")
    by_reason = Counter(r for r in p.left_out.values() if not r.startswith("listed"))
    if by_reason:
        left = Table(title="left out")
        left.add_column("reason", no_wrap=True)
        left.add_column("files", justify="right")
        left.add_column("for example" if not show_all else "files")
        for reason, n in sorted(by_reason.items(), key=lambda t: (-t[1], t[0])):
            paths = [f for f, r in p.left_out.items() if r == reason]
            shown = paths if show_all else paths[:SHOWN_PER_REASON]
            more = "" if len(shown) == len(paths) else f" (+{len(paths) - len(shown)})"
            left.add_row(reason, str(n), ", ".join(shown) + more)
        out.print(left)
    s = p.stats
    out.print(
        f"{int(s.get('files', 0))} files scanned, {int(s.get('parsed', 0))} parsed, "
        f"{int(s.get('from_cache', 0))} from cache, {s.get('seconds', 0):.2f}s",
        highlight=False,
    )
