"""Hunk picking answers (y/n/q/a/d) and stray keys, driven through review_stage's input_fn."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from rich.console import Console

from agent.approval.review import review_stage
from agent.approval.statement import patch_sha256

PATCH = "".join(
    f"diff --git a/{name} b/{name}\n--- a/{name}\n+++ b/{name}\n"
    "@@ -1,2 +1,2 @@\n-one\n+ONE\n two\n@@ -10,2 +10,2 @@\n-ten\n+TEN\n eleven\n"
    for name in ("a.txt", "b.txt")
)


def run(*answers: str, **extra: Any) -> tuple[dict[str, Any], str]:
    keys: Iterator[str] = iter(answers)

    def type_line(_prompt: str) -> str:
        """Like input(): end of input is EOFError."""
        try:
            return next(keys)
        except StopIteration:
            raise EOFError from None

    out = io.StringIO()
    payload = {"run_id": "r", "stage_index": 0, "stage": {"id": 1, "title": "t", "intent": "i"},
               "patch": PATCH, "patch_sha256": patch_sha256(PATCH), "verify": {"ok": True}, **extra}
    decision = review_stage(payload, Console(file=out, width=80), input_fn=type_line)
    return decision, out.getvalue()


def test_d_drops_rest_of_file_then_y() -> None:
    decision, _ = run("h", "d", "y", "n")
    assert decision["decision"] == "edited"
    assert "+ONE" in decision["patch"] and "a.txt" not in decision["patch"]
    assert "+TEN" not in decision["patch"]


def test_a_keeps_the_rest() -> None:
    decision, _ = run("h", "n", "a")
    assert decision["decision"] == "edited" and decision["patch"].count("@@ -") == 3


def test_q_after_keeping_one() -> None:
    decision, _ = run("h", "y", "q")
    assert decision["patch"].count("@@ -") == 1 and "b.txt" not in decision["patch"]


def test_all_or_nothing_is_not_an_edit() -> None:
    decision, screen = run("h", "a", "h", "q", "z", "q")
    assert decision["decision"] == "quit"
    assert "All hunks kept; patch unchanged." in screen
    assert "No hunks kept; nothing to approve." in screen
    assert "Type one letter: [a]pprove" in screen


def test_end_of_input_quits_and_keeps_state() -> None:
    assert run()[0]["decision"] == "quit"


def test_figures_measured_on_the_proposal_are_on_the_screen() -> None:
    _, screen = run("q", figures={"eval_current_prompts": "3.00/5", "eval_proposed_prompts": "4.00/5"})
    assert "Figures: eval_current_prompts 3.00/5, eval_proposed_prompts 4.00/5" in screen
    _, plain = run("q")
    assert "Figures:" not in plain
