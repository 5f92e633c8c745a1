"""The Docker runner on the real engine: hardening, warm reuse, and run_checks end to end."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.errors import AgentError
from agent.sandbox.base import EXIT_SANDBOX_ERROR, SANDBOX_ENV, Limits
from agent.sandbox.checks import run_checks
from agent.sandbox.docker_runner import LABEL, OWNER, DockerRunner, _remove_stale
from agent.sandbox.engine import docker_client
from agent.sandbox.factory import open_runner
from agent.sandbox.images import DEFAULT_IMAGE, IMAGES

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("docker_engine")]
LIMITS = Limits(timeout_s=60, memory_mb=512, cpus=1.0, pids=128)


@pytest.fixture(scope="module")
def runner() -> Iterator[DockerRunner]:
    with open_runner("docker", image=DEFAULT_IMAGE) as opened:
        assert isinstance(opened, DockerRunner)
        yield opened


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text))
    return root


def test_container_is_hardened(runner: DockerRunner, tmp_path: Path) -> None:
    runner.run(tmp_path, ["true"], LIMITS)
    attrs = runner._container.attrs  # noqa: SLF001 - the engine's own view of the container
    host = attrs["HostConfig"]
    assert host["NetworkMode"] == "none" and host["ReadonlyRootfs"] is True
    assert host["CapDrop"] == ["ALL"] and "no-new-privileges" in host["SecurityOpt"]
    assert host["Memory"] == host["MemorySwap"] == 512 << 20
    assert host["PidsLimit"] == 128 and host["NanoCpus"] == 1_000_000_000
    assert attrs["Config"]["User"] == "65534:65534"
    assert [m["Destination"] for m in attrs["Mounts"]] == ["/work"]
    env_keys = {e.split("=", 1)[0] for e in attrs["Config"]["Env"]}
    assert env_keys <= set(SANDBOX_ENV) | {"HOSTNAME"}


def test_check_sees_only_its_copy_as_writable(runner: DockerRunner, tmp_path: Path) -> None:
    script = ("id -u; touch /etc/x 2>/dev/null || echo ro-root; "
              "cp /bin/true /tmp/t && (/tmp/t 2>/dev/null || echo noexec-tmp); "
              "echo data > here.txt && cat here.txt")
    result = runner.run(tmp_path, ["sh", "-c", script], LIMITS)
    assert result.exit_code == 0
    assert result.output.split() == ["65534", "ro-root", "noexec-tmp", "data"]
    assert not (tmp_path / "here.txt").exists()  # the caller's tree is never written


def test_exit_status_passes_through_and_container_stays_warm(runner: DockerRunner,
                                                              tmp_path: Path) -> None:
    first = runner.run(tmp_path, ["sh", "-c", "echo left > mark; exit 3"], LIMITS)
    container = runner._container.id  # noqa: SLF001
    second = runner.run(tmp_path, ["sh", "-c", "ls; exit 0"], LIMITS)
    assert (first.exit_code, first.killed_by) == (3, None)
    assert second.exit_code == 0 and "mark" not in second.output
    assert runner._container.id == container  # noqa: SLF001 - reused, not restarted


def test_run_checks_counts_and_marks_flaky(runner: DockerRunner, tmp_path: Path) -> None:
    repo = write(tmp_path, {"pytest.ini": "[pytest]\n", "tests/test_m.py": """
        STATE = []

        def test_sets():
            STATE.append(1)

        def test_order_dependent():  # fails after test_sets, passes alone: flaky
            assert not STATE

        def test_broken():
            assert 1 == 2

        def test_fine():
            pass
    """})
    report = run_checks(repo, ["python3", "-m", "pytest", "-q"], runner, LIMITS)
    assert not report.ok and report.killed_by is None
    assert report.flaky == ["tests/test_m.py::test_order_dependent"]
    assert report.failed_tests == ["tests/test_m.py::test_broken"]
    assert (report.passed, report.failed) == (3, 1)


def test_a_failure_is_reported_by_its_test_line_and_error(runner: DockerRunner, tmp_path: Path) -> None:
    body = "".join(f"    step_{i} = {i}\n" for i in range(40))  # code a long traceback would print whole
    repo = write(tmp_path, {"label.py": f"def label(n):\n{body}    return str(n)\n", "test_label.py": """
        from label import label

        def test_units():
            assert label(3) == "3 ohms"
    """})
    report = run_checks(repo, ["python3", "-m", "pytest", "-q"], runner, LIMITS)
    assert report.failed_tests == ["test_label.py::test_units"]
    tail = report.output_tail
    assert 'assert label(3) == "3 ohms"' in tail and "AssertionError" in tail  # the call and what was expected
    assert "step_39 = 39" not in tail  # not the code under test, line by line
    assert "short test summary info" not in tail  # nor the failing tests' names once more


def test_run_checks_make_test_in_core_image(runner: DockerRunner, tmp_path: Path) -> None:
    repo = write(tmp_path, {
        "add.c": "int add(int a, int b) { return a + b; }\n",
        "test_add.c": "int add(int, int);\nint main(void) { return add(2, 2) == 4 ? 0 : 1; }\n",
        "Makefile": "test:\n\tgcc -o t add.c test_add.c && ./t && echo '1 passed, 0 failed'\n",
    })
    report = run_checks(repo, ["make", "test"], runner, LIMITS)
    assert report.ok, report.output_tail
    assert report.passed == 1


def test_cargo_test_in_rust_image(tmp_path: Path) -> None:
    repo = write(tmp_path, {
        "Cargo.toml": '[package]\nname = "demo"\nversion = "0.1.0"\nedition = "2021"\n',
        "src/lib.rs": """
            pub fn add(a: i32, b: i32) -> i32 { a + b }
            #[cfg(test)]
            mod tests {
                #[test] fn adds() { assert_eq!(super::add(1, 2), 3); }
                #[test] fn broken() { assert_eq!(super::add(1, 1), 3); }
            }
        """,
    })
    with open_runner("docker", repo=repo) as rust:
        assert isinstance(rust, DockerRunner) and rust.image == IMAGES["rust"].tag
        report = run_checks(repo, ["cargo", "test"], rust, Limits(timeout_s=180))
    assert not report.ok and report.failed_tests == ["tests::broken"]
    assert (report.passed, report.failed) == (1, 1)


def test_missing_image_is_a_sandbox_error(tmp_path: Path) -> None:
    with pytest.raises(AgentError, match="agent sandbox build") as caught:
        open_runner("docker", image="agent-sandbox-nosuch")
    assert caught.value.exit_code == EXIT_SANDBOX_ERROR



def test_quiet_check_outlives_the_clients_timeout(tmp_path: Path) -> None:
    import docker

    with DockerRunner(DEFAULT_IMAGE, docker.from_env(timeout=2)) as quiet:
        result = quiet.run(tmp_path, ["sh", "-c", "sleep 4; echo done"], LIMITS)
    assert (result.exit_code, result.output, result.killed_by) == (0, "done\n", None)


def test_a_container_another_run_removes_while_listed_is_passed_over() -> None:
    """Two runs on one engine: one's sweep for dead runs' containers must not fail when the
    other removes its container between the listing and the inspection (seen as a 404)."""
    client = docker_client()
    other = client.containers.create(DEFAULT_IMAGE, ["true"], labels={LABEL: "1", OWNER: "elsewhere:1"})
    inspect = client.api.inspect_container

    def removed_first(container_id: str) -> object:
        if container_id == other.id:
            client.api.remove_container(container_id, force=True)
        return inspect(container_id)

    client.api.inspect_container = removed_first
    try:
        _remove_stale(client)
    finally:
        client.api.inspect_container = inspect
    assert not client.containers.list(all=True, filters={"id": other.id})
