"""Shared setup for the sandbox tests: the hostile repo is code under test, not our tests."""

from __future__ import annotations

import pytest

collect_ignore_glob = ["hostile_repo/*"]


def docker_available() -> str | None:
    """None when the Docker engine answers; otherwise why not."""
    from agent.errors import AgentError
    from agent.sandbox.engine import docker_client

    try:
        docker_client()
    except AgentError as err:
        return str(err)
    return None


@pytest.fixture(scope="session")
def docker_engine() -> None:
    why = docker_available()
    if why:
        pytest.skip(f"Docker engine absent: {why}")
