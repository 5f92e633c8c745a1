"""`agent sandbox run`, `agent sandbox build` and `agent doctor` as a user sees them."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from agent.commands.doctor import doctor
from agent.commands.sandbox import app
from agent.errors import AgentError
from agent.sandbox.base import EXIT_OUTPUT, EXIT_TIMEOUT
from agent.sandbox.factory import open_runner

cli = CliRunner()


def sandbox(*args: str) -> tuple[int, str, str]:
    result = cli.invoke(app, list(args))
    if isinstance(result.exception, AgentError):
        return result.exception.exit_code, result.stdout, str(result.exception)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("backend", [pytest.param("docker", marks=pytest.mark.docker), "bwrap"])
def test_run_prints_output_and_exits_with_command_status(
        backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    if backend == "docker":
        request.getfixturevalue("docker_engine")
    (tmp_path / "hello.txt").write_text("from the repo\n")
    code, out, _ = sandbox("run", str(tmp_path), "--backend", backend, "--",
                           "sh", "-c", "cat hello.txt; exit 7")
    assert (code, out) == (7, "from the repo\n")


@pytest.mark.parametrize("backend", [pytest.param("docker", marks=pytest.mark.docker), "bwrap"])
def test_limits_give_documented_status_and_reason(
        backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    if backend == "docker":
        request.getfixturevalue("docker_engine")
    code, _, err = sandbox("run", str(tmp_path), "--backend", backend, "--timeout", "1",
                           "--", "sleep", "30")
    assert code == EXIT_TIMEOUT and "stopped by the timeout limit" in err
    code, out, err = sandbox("run", str(tmp_path), "--backend", backend, "--", "sh", "-c",
                             "yes flood")
    assert code == EXIT_OUTPUT and "output limit" in err and len(out) <= 1_000_001


def test_unsandboxed_needs_words_of_consent(tmp_path: Path) -> None:
    code, _, err = sandbox("run", str(tmp_path), "--backend", "none", "--", "true")
    assert code == 1 and "--i-accept-unsandboxed" in err
    code, out, _ = sandbox("run", str(tmp_path), "--backend", "none", "--i-accept-unsandboxed",
                           "--", "sh", "-c", "echo host")
    assert (code, out) == (0, "host\n")


def test_no_silent_fallback_to_the_host() -> None:
    with pytest.raises(AgentError, match="--i-accept-unsandboxed"):
        open_runner("none")
    with pytest.raises(AgentError, match="unknown sandbox backend"):
        open_runner("chroot")


def test_run_without_command_is_a_user_error(tmp_path: Path) -> None:
    code, _, err = sandbox("run", str(tmp_path))
    assert code == 1 and "put it after '--'" in err


@pytest.mark.docker
@pytest.mark.usefixtures("docker_engine")
def test_build_leaves_up_to_date_images_alone() -> None:
    result = cli.invoke(app, ["build", "--image", "core"])
    assert result.exit_code == 0, result.output
    assert "built nothing (all up to date)" in result.stdout
    assert "agent-sandbox-core: up to date" in result.stderr


def test_doctor_reports_each_part(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    doctor_app = typer.Typer()
    doctor_app.command()(doctor)
    result = cli.invoke(doctor_app, [])
    lines = {line[4:].split()[0]: line[:2] for line in result.stdout.splitlines()}
    assert lines["docker"] == "no" and "start the daemon" in result.stdout
    assert lines["bubblewrap"] == "ok" and lines["llama-cpp-python"] == "ok"
    assert "free memory" in result.stdout and "model qwen2.5-coder-0.5b" in result.stdout
    assert result.exit_code == 0  # bubblewrap still runs checks
