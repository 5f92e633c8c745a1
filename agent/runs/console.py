"""The terminal side of a run: progress lines, a live status while models and tests work, and
the reviewer that shows a stage at the approval gate."""

from __future__ import annotations

import getpass
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.syntax import Syntax

from agent.runs.session import Terminal


def make_console(no_color: bool = False) -> Console:
    return Console(no_color=no_color, highlight=False, soft_wrap=False)


def show_stage(console: Console, payload: dict[str, Any]) -> None:
    stage, result = payload["stage"], payload["verify"]
    console.rule(f"Stage {stage['id']} of {payload['stage_count']}: {stage['title']}")
    console.print(stage["intent"])
    console.print("Files: " + ", ".join(stage["files"]))
    console.print(Syntax(payload["patch"], "diff", theme="ansi_dark", word_wrap=True))
    verdict = "[green]passed[/]" if result["ok"] else "[bold red]FAILED[/]"
    console.print(f"Tests {verdict}: {result['summary']}")
    if not result["ok"] and result.get("output_tail"):
        console.print("\n".join(result["output_tail"].splitlines()[-15:]), markup=False)


def simple_reviewer(console: Console, ask: Callable[[str], str] = input) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """approve / reject (with a reason) / quit, typed at a prompt."""

    def review(payload: dict[str, Any]) -> dict[str, Any]:
        show_stage(console, payload)
        default = "a" if payload["verify"]["ok"] else "r"
        while True:
            try:
                answer = ask(f"[a]pprove, [r]eject, [q]uit (default {default}): ").strip().lower() or default
            except EOFError:
                return {"decision": "quit"}
            if answer in ("a", "approve"):
                return {"decision": "approve", "approver": getpass.getuser(), "reason": ""}
            if answer in ("r", "reject"):
                try:
                    reason = ask("Reason (sent back to the model; empty to skip the stage): ").strip()
                except EOFError:
                    reason = ""
                return {"decision": "reject", "approver": getpass.getuser(), "reason": reason}
            if answer in ("q", "quit"):
                return {"decision": "quit"}
            console.print("Type a, r or q.")

    return review


def terminal(console: Console, reviewer: Callable[[dict[str, Any]], dict[str, Any]] | None = None) -> Terminal:
    @contextmanager
    def busy(what: str) -> Iterator[object]:
        with console.status(what + " ...") as status:
            yield status
        console.print(f"[dim]{what}: done[/]")

    return Terminal(show=lambda line: console.print(line, markup=False), busy=busy,
                    reviewer=reviewer or simple_reviewer(console))
