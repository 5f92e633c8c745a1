"""The terminal side of a run: progress lines, a live status while models and tests work, and
the reviewer that shows a stage at the approval gate."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console

from agent.approval.review import review_stage
from agent.runs.session import Terminal


def make_console(no_color: bool = False) -> Console:
    return Console(no_color=no_color, highlight=False, soft_wrap=False)


def terminal(console: Console, reviewer: Callable[[dict[str, Any]], dict[str, Any]] | None = None) -> Terminal:
    @contextmanager
    def busy(what: str) -> Iterator[object]:
        with console.status(what + " ...") as status:
            yield status
        console.print(f"[dim]{what}: done[/]")

    return Terminal(
        show=lambda line: console.print(line, markup=False, soft_wrap=True),
        busy=busy,
        reviewer=reviewer or (lambda payload: review_stage(payload, console)),
    )
