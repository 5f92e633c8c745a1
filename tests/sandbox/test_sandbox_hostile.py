"""Hostile code is contained by both backends: each attack in ``hostile_repo`` ends within its
limit with a clear reason, the host sees nothing of it, and the next check runs clean."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.sandbox.base import SANDBOX_ENV, Limits, Runner, TestReport
from agent.sandbox.checks import run_checks
from agent.sandbox.factory import open_runner
from agent.sandbox.images import DEFAULT_IMAGE

HOSTILE = Path(__file__).parent / "hostile_repo"
LIMITS = Limits(timeout_s=6, memory_mb=256, cpus=1.0, pids=64, output_bytes=1_000_000)
SLACK_S = 6.0  # start, copy and cleanup on 2 busy cores
ALLOWED_ENV = sorted(SANDBOX_ENV) + ["HOSTNAME", "PYTEST_CURRENT_TEST", "PWD", "OLDPWD",
                                     "SHLVL", "_"]
# Run as the next check after every attack: lists what is left of earlier checks.
PROBE = (
    "import os\n"
    "me = os.getpid()\n"
    "procs = [open(f'/proc/{p}/cmdline', 'rb').read().replace(b'\\0', b' ').decode()\n"
    "         for p in os.listdir('/proc') if p.isdigit() and int(p) not in (1, me)]\n"
    "print('procs', procs)\n"
    "print('tmp', sorted(os.listdir('/tmp')))\n"
)


@pytest.fixture(scope="module", params=[pytest.param("docker", marks=pytest.mark.docker),
                                        "bwrap"])
def runner(request: pytest.FixtureRequest) -> Iterator[Runner]:
    if request.param == "docker":
        request.getfixturevalue("docker_engine")
    with open_runner(request.param, image=DEFAULT_IMAGE) as opened:
        yield opened


class Loopback:
    """A TCP service on the host's 127.0.0.1 that counts who reached it."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


@pytest.fixture
def hostile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict]:
    """A copy of the hostile repo with targets on this host for it to aim at."""
    token = secrets.token_hex(8)
    monkeypatch.setenv("AGENT_TEST_SECRET", token)
    repo = tmp_path / "repo"
    shutil.copytree(HOSTILE, repo)
    secret = tmp_path / "secret.txt"
    secret.write_text(token)
    writes = [tmp_path / "escape.txt", repo / ".." / "escape2.txt"]
    server = Loopback()
    targets = {"port": server.port, "secrets": [str(secret), str(Path.home() / ".bashrc")],
               "writes": [str(p) for p in writes], "allowed_env": ALLOWED_ENV}
    import json

    (repo / "targets.json").write_text(json.dumps(targets))
    yield {"repo": repo, "token": token, "writes": writes, "server": server}
    server.close()


def attack(runner: Runner, repo: Path, name: str) -> tuple[TestReport, float]:
    command = ["python3", "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider",
               f"tests/test_attacks.py::{name}"]
    start = time.monotonic()
    report = run_checks(repo, command, runner, LIMITS)
    elapsed = time.monotonic() - start
    assert "ESCAPED" not in report.output_tail
    return report, elapsed


def assert_next_check_clean(runner: Runner, tmp_path: Path) -> None:
    probe_repo = tmp_path / "probe"
    probe_repo.mkdir(exist_ok=True)
    result = runner.run(probe_repo, ["python3", "-c", PROBE], LIMITS)
    assert result.exit_code == 0, result.output
    assert "procs []" in result.output and "tmp []" in result.output, result.output


def test_loopback_service_unreachable(runner: Runner, hostile: dict, tmp_path: Path) -> None:
    report, _ = attack(runner, hostile["repo"], "test_loopback_service")
    assert not report.ok and report.failed == 1 and report.killed_by is None
    assert "contained" in report.output_tail
    assert hostile["server"].connections == 0
    assert_next_check_clean(runner, tmp_path)


def test_only_loopback_interface(runner: Runner, hostile: dict, tmp_path: Path) -> None:
    report, _ = attack(runner, hostile["repo"], "test_other_interfaces")
    assert not report.ok and "interfaces: ['lo']" in report.output_tail


def test_host_files_and_env_unreadable(runner: Runner, hostile: dict, tmp_path: Path) -> None:
    report, _ = attack(runner, hostile["repo"], "test_read_outside")
    assert not report.ok and report.failed == 1
    assert hostile["token"] not in report.output_tail
    assert "contained: /var/run/docker.sock" in report.output_tail


def test_writes_stay_in_copy(runner: Runner, hostile: dict, tmp_path: Path) -> None:
    report, _ = attack(runner, hostile["repo"], "test_write_outside")
    assert not report.ok and report.failed == 1
    assert not [p for p in hostile["writes"] if p.exists()]
    assert not Path("/etc/agent-escape").exists() and not Path("/agent-escape").exists()
    assert_next_check_clean(runner, tmp_path)


def test_fork_bomb_stopped(runner: Runner, hostile: dict, tmp_path: Path) -> None:
    report, elapsed = attack(runner, hostile["repo"], "test_fork_bomb")
    assert report.killed_by in ("pids", "timeout"), report
    assert "limit" in report.reason and elapsed < LIMITS.timeout_s + SLACK_S
    assert_next_check_clean(runner, tmp_path)


def test_allocation_stopped(runner: Runner, hostile: dict, tmp_path: Path) -> None:
    report, elapsed = attack(runner, hostile["repo"], "test_allocate_forever")
    assert report.killed_by == "memory", report
    assert report.reason.startswith("stopped by the memory limit")
    assert elapsed < LIMITS.timeout_s + SLACK_S
    assert_next_check_clean(runner, tmp_path)


def test_endless_loop_stopped(runner: Runner, hostile: dict, tmp_path: Path) -> None:
    report, elapsed = attack(runner, hostile["repo"], "test_loop_forever")
    assert report.killed_by == "timeout" and "timeout" in report.reason
    assert LIMITS.timeout_s <= elapsed < LIMITS.timeout_s + SLACK_S
    assert_next_check_clean(runner, tmp_path)


def test_output_flood_cut(runner: Runner, hostile: dict, tmp_path: Path) -> None:
    report, elapsed = attack(runner, hostile["repo"], "test_print_gigabytes")
    assert report.killed_by == "output" and "output limit" in report.reason
    assert len(report.output_tail) <= LIMITS.output_bytes
    assert elapsed < LIMITS.timeout_s
    assert_next_check_clean(runner, tmp_path)


def test_killing_parent_harms_nothing(runner: Runner, hostile: dict, tmp_path: Path) -> None:
    report, elapsed = attack(runner, hostile["repo"], "test_kill_parent")
    assert not report.ok and elapsed < LIMITS.timeout_s + SLACK_S
    assert os.getppid() != 1  # this test process and its parent live on
    assert_next_check_clean(runner, tmp_path)


def test_leftover_processes_reaped(runner: Runner, hostile: dict, tmp_path: Path) -> None:
    report, elapsed = attack(runner, hostile["repo"], "test_leave_processes")
    assert report.ok, report
    assert elapsed < LIMITS.timeout_s
    assert not (hostile["repo"].parent / "left-behind").exists()
    assert_next_check_clean(runner, tmp_path)
