"""The review screen driven through a real pseudo-terminal: keys in, screen text out."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from approval_helpers import Run, keygen, make_run, policy_yaml

from agent.approval.statement import patch_sha256
from tests.pty_screen import COLOUR, Screen

PATCH = """diff --git a/src/app.py b/src/app.py
--- a/src/app.py
+++ b/src/app.py
@@ -1,3 +1,3 @@
 def main():
-    return 1
+    return 2
 # middle
@@ -8,3 +8,3 @@
 def other():
-    return 'a'
+    return 'b'
 # end
"""
DRIVER = """
import json, sys
from rich.console import Console
from agent.approval.review import review_stage
payload = json.load(open(sys.argv[1]))
print("DECISION:" + json.dumps(review_stage(payload, Console(highlight=False))))
"""
def payload(tmp_path: Path, **over: Any) -> Path:
    worktree = tmp_path / "wt"
    (worktree / "src").mkdir(parents=True, exist_ok=True)
    (worktree / "src" / "app.py").write_text("def main():\n    return 2\n# middle\n")
    data: dict[str, Any] = {
        "kind": "approval", "run_id": "run-1", "stage_index": 0,
        "stage": {"id": 1, "title": "Return two", "intent": "Make main return 2.",
                  "files": ["src/app.py"]},
        "patch": PATCH, "patch_sha256": patch_sha256(PATCH), "base_commit": "a" * 40,
        "verify": {"ok": True, "passed": 12, "failed": 0, "errors": 0, "skipped": 1,
                   "flaky": [], "summary": "12 passed", "output_tail": ""},
        "findings": ["src/app.py needs 1 trusted signature(s), has 0"],
        "worktree": str(worktree),
    }
    data.update(over)
    path = tmp_path / "pending.json"
    path.write_text(json.dumps(data))
    return path


def screen(tmp_path: Path, color: bool = True, user: str = "tester", **over: Any) -> Screen:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS", "LINES")}
    env.update(TERM="xterm-256color", USER=user)
    if not color:
        env["NO_COLOR"] = "1"
    return Screen([sys.executable, "-c", DRIVER, str(payload(tmp_path, **over))], env)


def test_approve_shows_everything_at_80_columns_in_colour(tmp_path: Path) -> None:
    s = screen(tmp_path)
    for part in ("Return two", "Intent: Make main return 2.", "src/app.py",
                 "Sandbox: passed - 12 passed, 0 failed, 0 errors, 1 skipped",
                 "src/app.py needs 1 trusted signature(s), has 0", "+    return 2", "[a]pprove"):
        s.expect(part)
    s.send("a")
    assert s.decision() == {"decision": "approve", "reason": "", "approver": "tester",
                            "patch": None}
    assert COLOUR.search(s.raw), "expected colour on a terminal"
    screen_lines = s.text.split("DECISION:")[0].splitlines()
    assert max(len(line) for line in screen_lines) <= 80


def test_no_color_has_no_colour_codes(tmp_path: Path) -> None:
    s = screen(tmp_path, color=False)
    s.expect("[q]uit")
    s.send("q")
    assert s.decision()["decision"] == "quit"
    assert not COLOUR.search(s.raw)
    assert "-    return 1" in s.text


def test_reject_needs_a_reason(tmp_path: Path) -> None:
    s = screen(tmp_path)
    s.expect("[q]uit")
    s.send("r")
    s.expect("Reason for rejecting")
    s.send("")
    s.expect("Reason for rejecting")
    s.send("touches the wrong function")
    assert s.decision() == {"decision": "reject", "reason": "touches the wrong function",
                            "approver": "tester", "patch": None}


def test_hunks_one_by_one_returns_edited_patch(tmp_path: Path) -> None:
    s = screen(tmp_path, color=False)
    s.expect("[q]uit")
    s.send("h")
    s.expect("hunk 1/2: src/app.py")
    s.expect("Keep this hunk")
    s.send("y")
    s.expect("hunk 2/2: src/app.py")
    s.expect("Keep this hunk")
    s.send("n")
    result = s.decision()
    assert result["decision"] == "edited"
    assert "+    return 2" in result["patch"] and "return 'b'" not in result["patch"]


def test_edit_in_editor_returns_edited_patch(tmp_path: Path) -> None:
    editor = tmp_path / "editor.py"
    editor.write_text("import sys,pathlib\np=pathlib.Path(sys.argv[1])\n"
                      "p.write_text(p.read_text().replace('return 2', 'return 42'))\n")
    os.environ["EDITOR"] = f"{sys.executable} {editor}"
    try:
        s = screen(tmp_path)
    finally:
        del os.environ["EDITOR"]
    s.expect("[q]uit")
    s.send("e")
    result = s.decision()
    assert result["decision"] == "edited" and "+    return 42" in result["patch"]


def test_view_whole_file_then_quit_keeps_state(tmp_path: Path) -> None:
    s = screen(tmp_path, color=False)
    s.expect("[q]uit")
    s.send("v")
    s.expect("1. src/app.py")
    s.send("1")
    s.expect("# middle")
    s.expect("[q]uit")
    s.send("v")
    s.send("../../etc/passwd")
    s.expect("outside the stage's worktree")
    s.send("q")
    assert s.decision()["decision"] == "quit"


def test_partial_progress_shows_what_it_fixed_and_what_still_fails(tmp_path: Path) -> None:
    verify = {"ok": False, "passed": 3, "failed": 2, "errors": 0, "skipped": 0, "flaky": [],
              "summary": "2 failed", "output_tail": "FAILED test_x - assert 1 == 2",
              "verdict": {"ok": True, "summary": "fixed 1 of 3 failing tests, broke none"}}
    s = screen(tmp_path, verify=verify)
    s.expect("Sandbox: progress")
    s.expect("Tests: fixed 1 of 3 failing tests, broke none")
    s.expect("FAILED test_x")
    s.send("a")
    assert s.decision()["decision"] == "approve"


def test_without_user_the_reviewer_is_named_by_git_or_the_login(tmp_path: Path) -> None:
    s = screen(tmp_path, user="")
    s.send("r")
    s.send("not like this")
    decision = s.decision()
    assert decision["decision"] == "reject" and decision["approver"] not in ("", "unknown")


def test_patch_not_matching_its_hash_cannot_be_approved(tmp_path: Path) -> None:
    s = screen(tmp_path, patch_sha256="0" * 64)
    s.expect("patch does not match its recorded SHA-256")
    s.expect("[q]uit")
    s.send("a")
    s.expect("Refused")
    s.send("q")
    assert s.decision()["decision"] == "quit"


@pytest.fixture
def run_with_pending(tmp_path: Path) -> tuple[Run, Path]:
    key = keygen(tmp_path / "alice", "alice@example.com")
    run = make_run(tmp_path / "repo", "run-1", policy_yaml([("alice@example.com", key, "**")]),
                   {1: PATCH})
    (run.path / "pending.json").write_text(payload(tmp_path).read_text())
    return run, key


def test_agent_review_reopens_a_paused_run_and_applies_the_signed_stage(tmp_path: Path) -> None:
    """A run paused at the gate; ``agent review RUN`` on a real pty shows it, 'a' signs and applies."""
    from contextlib import nullcontext

    from agent.llm.scripted import ScriptedModel
    from agent.runs.driver import Paused
    from agent.runs.session import Terminal, start
    from agent.sandbox.local import LocalRunner
    from tests.conftest import WORKSPACES, git, make_repo
    from tests.graph.test_run_scripted import GOOD_EDIT, PLAN

    repo = make_repo(WORKSPACES / "py-inventory", tmp_path / "repo")
    quit_term = Terminal(show=lambda line: None, busy=lambda what: nullcontext(),
                         reviewer=lambda payload: {"decision": "quit"})
    with pytest.raises(Paused):
        start(repo, "validate", quit_term, {"sandbox": "none", "model": "scripted"},
              model=ScriptedModel([PLAN, GOOD_EDIT]), runner=LocalRunner())
    [run_path] = (repo / ".agent" / "runs").iterdir()
    env = {**os.environ, "TERM": "xterm", "NO_COLOR": "1"}
    s = Screen([sys.executable, "-m", "agent", "review", run_path.name, "--repo", str(repo)], env)
    s.expect("[q]uit")
    s.send("a")
    s.expect("applied as")
    assert s.proc.wait(timeout=120) == 0
    assert len(list((run_path / "stages" / "01" / "approvals").glob("*.sig"))) == 1
    assert "negative quantity" in git(repo, "show", f"agent/{run_path.name}:inventory/stock.py")


