"""``open_runner``: the one place the graph and the CLI get a runner for a backend.

Never falls back to running code on the host: the unsandboxed backend is only handed out when
the caller says the user accepted it in so many words.
"""

from __future__ import annotations

from pathlib import Path

from agent.errors import AgentError
from agent.sandbox import images
from agent.sandbox.base import EXIT_SANDBOX_ERROR, Runner
from agent.sandbox.stream import Echo

BACKENDS = ("docker", "bwrap", "none")


def open_runner(backend: str = "docker", image: str | None = None, repo: Path | None = None,
                *, strategy: str | None = None, allow_unsandboxed: bool = False,
                echo: Echo | None = None) -> Runner:
    """A runner for ``backend``; use it as a context manager so a warm container is removed.

    ``image`` defaults to the one ``repo``'s languages and the run's ``strategy`` need, and then
    follows the checked tree (docker only): a C project that grows a crate gets the rust image.
    A C-to-Rust run takes the transpiler's image when it is built. ``echo`` gets the output as
    it arrives.
    """
    if backend == "docker":
        from agent.sandbox.docker_runner import DockerRunner
        from agent.sandbox.engine import docker_client, image_label

        client = docker_client()
        tag = image or images.image_for(repo, strategy)
        if image is None and strategy == "c2rust" and image_label(
                client, images.TOOL_IMAGE, images.HASH_LABEL) is not None:
            tag = images.TOOL_IMAGE
        if image_label(client, tag, images.HASH_LABEL) is None:
            raise AgentError(
                f"sandbox image {tag} is missing: run 'agent sandbox build --image "
                f"{images.short_name(tag)}'", exit_code=EXIT_SANDBOX_ERROR,
            )
        return DockerRunner(tag, client, echo, follow_tree=image is None)
    if backend == "bwrap":
        from agent.sandbox.bwrap_runner import BwrapRunner

        return BwrapRunner(echo)
    if backend == "none":
        if not allow_unsandboxed:
            raise AgentError("backend 'none' runs untrusted code unsandboxed on this host: "
                             "pass --i-accept-unsandboxed if you mean it")
        from agent.sandbox.local import LocalRunner

        return LocalRunner(echo)
    raise AgentError(f"unknown sandbox backend '{backend}': choose one of {', '.join(BACKENDS)}")
