"""The model's server process killed mid-reply (as the OOM killer does): the run stops with the
reason and its state kept, and ``agent resume`` carries on once the model is back."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import pytest

from agent.llm.registry import ensure_bundled
from agent.rundir import RunFiles
from agent.runs.driver import Paused, StageFailed
from agent.runs.session import Terminal, resume, start
from agent.sandbox.local import LocalRunner
from tests.conftest import git
from tests.llm.server import free_port, start_server

pytestmark = pytest.mark.model


def test_model_killed_mid_plan_then_resume(py_repo: Path, tmp_path: Path) -> None:
    model = ensure_bundled("qwen2.5-coder-0.5b")
    port = free_port()
    server = start_server(model, port, tmp_path / "server.log", 4096)

    @contextmanager
    def busy(what: str) -> Iterator[None]:
        if what.startswith("Planning"):
            threading.Timer(1.0, lambda: server.send_signal(signal.SIGKILL)).start()
        yield

    quit_at_gate = {"decision": "quit"}
    term = Terminal(show=lambda line: None, busy=busy, reviewer=lambda payload: dict(quit_at_gate))
    overrides = {"sandbox": "none", "model": f"http://127.0.0.1:{port}/v1", "ctx": 4096, "max_stages": 1}
    try:
        with pytest.raises(StageFailed, match=r"the run failed in plan: .*agent resume"):
            start(py_repo, "make add_item raise ValueError when the quantity is negative", term, overrides,
                  runner=LocalRunner())
        server.wait(timeout=30)
        [run_dir] = list((py_repo / ".agent" / "runs").iterdir())
        files = RunFiles(py_repo, run_dir.name)
        assert not (files.dir / "plan.json").exists()
        assert git(py_repo, "status", "--porcelain") == ""

        server = start_server(model, port, tmp_path / "server2.log", 4096)  # the cause is fixed
        plain = Terminal(show=lambda line: None, busy=lambda what: nullcontext(),
                         reviewer=lambda payload: dict(quit_at_gate))
        state: dict[str, Any] = {}
        try:
            state = resume(files, plain, runner=LocalRunner())
        except Paused:
            pass  # a stage reached the review screen: the run got past the plan
        assert (files.dir / "plan.json").is_file()
        assert state == {} or state["outcomes"]
    finally:
        server.kill()
        server.wait(timeout=30)
