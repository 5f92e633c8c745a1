"""Ctrl-C at the review screen keeps the run's state; ``agent resume`` continues it."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

from tests.conftest import git
from tests.graph.test_run_scripted import GOOD_EDIT, PLAN
from tests.pty_screen import Screen


def test_ctrl_c_at_the_review_screen_pauses_and_resume_applies(py_repo: Path, tmp_path: Path) -> None:
    replies = tmp_path / "replies.json"
    replies.write_text(json.dumps([PLAN, GOOD_EDIT]))
    env = {**os.environ, "TERM": "xterm", "NO_COLOR": "1"}
    screen = Screen([sys.executable, "-m", "agent", "refine", str(py_repo), "--goal", "validate",
                     "--model", f"scripted:{replies}", "--sandbox", "none"], env)
    screen.expect("[q]uit", timeout=180)
    # CPython's readline prints the prompt before it waits in select(); a SIGINT in that gap is only
    # seen at the next key. A person is never that fast: give the prompt a moment, as they would.
    time.sleep(0.5)
    os.killpg(screen.proc.pid, signal.SIGINT)  # what Ctrl-C sends to the terminal's foreground group
    screen.expect("agent resume 2", timeout=60)  # names the run id
    assert screen.proc.wait(timeout=60) == 130
    assert "Traceback" not in screen.text
    [run] = list((py_repo / ".agent" / "runs").iterdir())
    assert (run / "pending.json").is_file()

    again = Screen([sys.executable, "-m", "agent", "resume", run.name], env)
    again.expect("[q]uit", timeout=180)
    again.send("a")
    again.expect("applied as", timeout=180)
    assert again.proc.wait(timeout=120) == 0
    assert "negative quantity" in git(py_repo, "show", f"agent/{run.name}:inventory/stock.py")
