"""The review screen: one stage, everything a person needs to decide, and a key per decision.

Line-based prompts (type a letter, Enter) so it works over ssh, in tmux, under a pty in
tests and without colour. It decides only; signing happens after, in ``sign_approval``.
"""

from __future__ import annotations

import os
import pwd
import shlex
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.rule import Rule
from rich.syntax import Syntax

from agent.approval import hunks
from agent.approval.statement import patch_sha256
from agent.errors import AgentError

InputFn = Callable[[str], str]
MENU = "[a]pprove  [r]eject  [e]dit  [h]unks  [v]iew file  [q]uit"


def _decision(
    kind: str, approver: str, reason: str = "", patch: str | None = None
) -> dict[str, Any]:
    return {"decision": kind, "reason": reason, "approver": approver, "patch": patch}


def reviewer_name() -> str:
    """Who is reviewing: git's user.name, else the login name (never "unknown" for a person)."""
    try:
        name = subprocess.run(["git", "config", "user.name"], capture_output=True, text=True).stdout.strip()
    except OSError:
        name = ""
    return name or os.environ.get("USER", "") or pwd.getpwuid(os.getuid()).pw_name


def _sandbox_line(verify: dict[str, Any]) -> tuple[str, str]:
    """Status word (passed / failed / flaky) and its one-line detail."""
    counts = (
        f"{verify.get('passed', 0)} passed, {verify.get('failed', 0)} failed, "
        f"{verify.get('errors', 0)} errors, {verify.get('skipped', 0)} skipped"
    )
    verdict = verify.get("verdict") or {}
    if not verify.get("ok"):
        if verdict.get("ok"):  # a red-to-green goal part of the way: progress, nothing broken
            return "progress", f"{counts}; {verdict['summary']}"
        return "failed", verify.get("summary") or counts
    if verify.get("flaky"):
        return "flaky", f"{counts}; flaky: {', '.join(verify['flaky'])}"
    return "passed", counts


def _diff(text: str) -> Syntax:
    return Syntax(text, "diff", theme="ansi_dark", word_wrap=True, background_color="default")


def show_stage(payload: dict[str, Any], console: Console, findings: list[str]) -> None:
    """Print the stage: intent, files, sandbox verdict, policy findings, then the diff."""
    stage = payload.get("stage", {})
    console.print(Rule(escape(f"run {payload.get('run_id')} - stage {stage.get('id')}")))
    console.print(f"[bold]{escape(str(stage.get('title', '')))}[/bold]")
    console.print(f"Intent: {escape(str(stage.get('intent', '')))}")
    files = stage.get("files") or hunks.changed_paths(payload.get("patch", ""))
    console.print(f"Files ({len(files)}):")
    for name in files:
        console.print(f"  {escape(name)}")
    status, detail = _sandbox_line(payload.get("verify") or {})
    style = {"passed": "green", "failed": "bold red", "flaky": "yellow", "progress": "yellow"}[status]
    console.print(f"Sandbox: [{style}]{status}[/{style}] - {escape(detail)}")
    verdict = (payload.get("verify") or {}).get("verdict")
    if verdict:
        console.print(f"Tests: {escape(verdict['summary'])}")
    tail = (payload.get("verify") or {}).get("output_tail", "")
    if status in ("failed", "progress") and tail:
        console.print(escape("\n".join(tail.splitlines()[-15:])), style="dim")
    figures = payload.get("figures") or {}
    if figures:
        console.print("Figures: " + escape(", ".join(f"{k} {v}" for k, v in figures.items())))
    console.print("Policy findings:" if findings else "Policy findings: none")
    for finding in findings:
        console.print(f"  - {escape(finding)}")
    console.print(Rule("diff"))
    console.print(_diff(payload.get("patch", "")))


def _ask(input_fn: InputFn, prompt: str) -> str:
    return input_fn(prompt).strip()


def _edit(patch: str, console: Console) -> str | None:
    """Open the patch in $VISUAL/$EDITOR; the edited text, or None if unchanged or invalid."""
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    with tempfile.TemporaryDirectory(prefix="agent-review-") as tmp:
        path = Path(tmp) / "stage.diff"
        path.write_text(patch)
        try:
            subprocess.run([*shlex.split(editor), str(path)], check=False)
        except OSError as ex:
            console.print(f"cannot start editor '{escape(editor)}': {ex.strerror}; set $EDITOR")
            return None
        edited = path.read_text()
    if edited == patch:
        console.print("Patch unchanged.")
        return None
    try:
        hunks.parse(edited)
    except AgentError as ex:
        console.print(f"Edited patch does not parse: {escape(str(ex))}")
        return None
    return edited


def _pick_hunks(patch: str, console: Console, input_fn: InputFn) -> str | None:
    """Ask y/n per hunk like ``git add -p``; the patch of chosen hunks, or None if not a subset."""
    parts = hunks.split(patch)
    keep: list[bool] = []
    for i, hunk in enumerate(parts, 1):
        if len(keep) >= i:
            continue
        console.print(Rule(escape(f"hunk {i}/{len(parts)}: {hunk.path}")))
        console.print(_diff(hunk.text))
        answer = ""
        while answer not in ("y", "n", "q", "a", "d"):
            answer = _ask(input_fn, "Keep this hunk [y,n,q,a,d,?]? ").lower()
            if answer not in ("y", "n", "q", "a", "d"):
                console.print("y keep, n drop, q drop the rest, a keep the rest, d drop its file's")
        if answer in ("y", "n"):
            keep.append(answer == "y")
        elif answer in ("q", "a"):
            keep += [answer == "a"] * (len(parts) - len(keep))
        else:  # d: this hunk and the rest of its file
            keep += [False] * sum(1 for h in parts[i - 1 :] if h.file_index == hunk.file_index)
    if all(keep):
        console.print("All hunks kept; patch unchanged.")
        return None
    if not any(keep):
        console.print(escape("No hunks kept; nothing to approve. Use [r]eject to turn it down."))
        return None
    return hunks.select(patch, keep)


def _view(payload: dict[str, Any], console: Console, input_fn: InputFn) -> None:
    """Show a whole file from the stage's worktree, with line numbers."""
    files = payload.get("stage", {}).get("files") or hunks.changed_paths(payload.get("patch", ""))
    for i, name in enumerate(files, 1):
        console.print(f"  {i}. {escape(name)}")
    answer = _ask(input_fn, "View which file (number or path)? ")
    name = files[int(answer) - 1] if answer.isdigit() and 0 < int(answer) <= len(files) else answer
    root = Path(payload.get("worktree") or ".").resolve()
    path = (root / name).resolve()
    if not name or not path.is_relative_to(root):
        console.print("That path is outside the stage's worktree.")
        return
    try:
        text = path.read_text(errors="replace")
    except OSError:
        console.print(f"{escape(name)} does not exist in the worktree (deleted by the stage?).")
        return
    lexer = Syntax.guess_lexer(str(path), text)
    console.print(Rule(escape(name)))
    console.print(Syntax(text, lexer, line_numbers=True, word_wrap=True, theme="ansi_dark",
                         background_color="default"))


def review_stage(
    payload: dict[str, Any], console: Console, input_fn: InputFn = input, approver: str = ""
) -> dict[str, Any]:
    """Show a stage and return the person's decision (approve / reject / edited / quit)."""
    approver = approver or reviewer_name()
    findings = list(payload.get("findings") or [])
    patch = payload.get("patch", "")
    hash_ok = patch_sha256(patch) == payload.get("patch_sha256")
    if not hash_ok:
        findings.append("patch does not match its recorded SHA-256: it cannot be approved")
    show_stage(payload, console, findings)
    while True:
        try:
            key = _ask(input_fn, f"{MENU} > ").lower()[:1]
        except EOFError:
            return _decision("quit", approver)
        if key == "a":
            if not hash_ok:
                console.print(escape("Refused: patch changed after verifying; [e]dit or [r]eject."))
                continue
            return _decision("approve", approver)
        if key == "r":
            reason = ""
            while not reason:
                reason = _ask(input_fn, "Reason for rejecting (one line): ")
            return _decision("reject", approver, reason=reason)
        if key == "e":
            edited = _edit(patch, console)
            if edited is not None:
                return _decision("edited", approver, "edited in $EDITOR", edited)
        elif key == "h":
            chosen = _pick_hunks(patch, console, input_fn)
            if chosen is not None:
                return _decision("edited", approver, "chose hunks", chosen)
        elif key == "v":
            _view(payload, console, input_fn)
        elif key == "q":
            return _decision("quit", approver)
        else:
            console.print(escape(f"Type one letter: {MENU}"))
