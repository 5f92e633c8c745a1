"""Faults outside the graph's logic: the stage is marked failed with the reason, the branch
returns to the last good checkpoint, and ``agent resume`` carries on once the cause is fixed."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import pytest

from agent.llm.scripted import ScriptedModel
from agent.rundir import RunFiles
from agent.runs.driver import StageFailed
from agent.runs.session import Terminal, resume, start
from agent.sandbox.local import LocalRunner
from tests.conftest import WORKSPACES, git, make_repo
from tests.graph.test_run_scripted import GOOD_EDIT, PLAN


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MB tmpfs: a real file system that really fills up."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path) -> Path:
    filler = disk / "filler"
    with open(filler, "wb") as out:
        try:
            while True:
                out.write(b"\0" * 65536)
                out.flush()
        except OSError:
            pass
    return filler


def test_disk_full_at_the_gate_fails_the_stage_and_resume_finishes(small_disk: Path) -> None:
    repo = make_repo(WORKSPACES / "py-inventory", small_disk / "repo")
    filler: list[Path] = []

    def approve_on_a_full_disk(payload: dict[str, Any]) -> dict[str, Any]:
        filler.append(fill(small_disk))  # signing the approval now has nowhere to write
        return {"decision": "approve", "approver": "tester", "reason": ""}

    term = Terminal(show=lambda line: None, busy=lambda what: nullcontext(), reviewer=approve_on_a_full_disk)
    with pytest.raises(StageFailed, match=r"stage 1 failed in gate: the disk is full .*agent resume") as failed:
        start(repo, "validate", term, {"sandbox": "none"}, model=ScriptedModel([PLAN, GOOD_EDIT]), runner=LocalRunner())
    assert failed.value.exit_code == 75
    [run_dir] = list((repo / ".agent" / "runs").iterdir())
    files = RunFiles(repo, run_dir.name)
    base = files.meta()["base_commit"]
    assert git(repo, "rev-parse", f"agent/{files.run_id}") == base  # at the last good checkpoint
    assert git(repo, "status", "--porcelain") == ""

    filler[0].unlink()  # the cause is fixed
    approve = Terminal(show=lambda line: None, busy=lambda what: nullcontext(),
                       reviewer=lambda payload: {"decision": "approve", "approver": "tester", "reason": ""})
    state = resume(files, approve, model=ScriptedModel([]), runner=LocalRunner())
    assert [o["status"] for o in state["outcomes"]] == ["applied"]
    assert "negative quantity" in git(repo, "show", f"agent/{files.run_id}:inventory/stock.py")
    entries = [json.loads(line) for line in (files.dir / "audit.jsonl").read_text().splitlines()]
    assert [e["event"] for e in entries][-3:] == ["approved", "applied", "run_ended"]


@pytest.mark.docker
def test_sandbox_lost_during_verify_fails_the_stage_and_resume_finishes(py_repo: Path) -> None:
    """The warm container is removed mid-check, as an engine restart does to it."""
    import os
    import socket
    import threading
    import time
    from contextlib import contextmanager

    owner = f"label=agent.sandbox.owner={socket.gethostname()}:{os.getpid()}"

    def remove_our_container() -> None:
        time.sleep(2)
        ids = subprocess.run(["docker", "ps", "-q", "--filter", owner], capture_output=True, text=True).stdout.split()
        subprocess.run(["docker", "rm", "-f", *ids], capture_output=True)

    @contextmanager
    def busy(what: str) -> Iterator[None]:
        if "testing candidate" in what:
            threading.Thread(target=remove_our_container).start()
        yield

    approve = {"decision": "approve", "approver": "tester", "reason": ""}
    term = Terminal(show=lambda line: None, busy=busy, reviewer=lambda payload: dict(approve))
    slow = ["sh", "-c", "sleep 5 && python3 -m pytest -q -p no:cacheprovider"]
    with pytest.raises(StageFailed, match=r"stage 1 failed in verify: the sandbox container went away"):
        start(py_repo, "validate", term, {"sandbox": "docker", "test_command": slow},
              model=ScriptedModel([PLAN, GOOD_EDIT]))
    [run_dir] = list((py_repo / ".agent" / "runs").iterdir())
    files = RunFiles(py_repo, run_dir.name)
    assert git(py_repo, "rev-parse", f"agent/{files.run_id}") == files.meta()["base_commit"]
    plain = Terminal(show=lambda line: None, busy=lambda what: nullcontext(), reviewer=lambda payload: dict(approve))
    state = resume(files, plain, model=ScriptedModel([]))
    assert [o["status"] for o in state["outcomes"]] == ["applied"]
