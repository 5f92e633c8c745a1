"""Reaching the Docker engine, with one-line errors that say how to fix what is missing."""

from __future__ import annotations

import os
from typing import Any

from agent.errors import AgentError
from agent.sandbox.base import EXIT_SANDBOX_ERROR


def docker_client() -> Any:
    """A connected ``docker.DockerClient``, or an AgentError naming the fix."""
    import docker  # imported here so commands that never touch Docker stay fast

    try:
        client = docker.from_env(timeout=120)
        client.ping()
    except docker.errors.DockerException as ex:
        raise AgentError(
            f"Docker engine not reachable ({_why(ex)}): {engine_fix()}",
            exit_code=EXIT_SANDBOX_ERROR,
        ) from None
    return client


def engine_fix() -> str:
    """What to do when the engine is not reachable, for this machine."""
    if not any(os.path.exists(p) for p in ("/usr/bin/dockerd", "/usr/sbin/dockerd")):
        return "install it ('apt-get install docker.io'), or use '--backend bwrap'"
    sock = "/var/run/docker.sock"
    if os.path.exists(sock) and not os.access(sock, os.R_OK | os.W_OK):
        return "add yourself to the docker group ('usermod -aG docker $USER', then log in again)"
    return "start the daemon ('systemctl start docker' or 'dockerd &'), or use '--backend bwrap'"


def _why(ex: Exception) -> str:
    text = str(ex).splitlines()[0] if str(ex) else type(ex).__name__
    return text[:120]


def image_label(client: Any, tag: str, label: str) -> str | None:
    """The value of ``label`` on image ``tag``; None when the image is absent."""
    import docker

    try:
        image = client.images.get(tag)
    except docker.errors.ImageNotFound:
        return None
    return (image.labels or {}).get(label, "")
