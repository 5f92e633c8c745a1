"""`agent sandbox build` and `agent sandbox run`: images, and one-off sandboxed commands.

Exit statuses of `run`: the command's own status, or 124 (timeout), 125 (sandbox error),
137 (memory limit), 141 (output cap), 142 (process limit), with the reason on stderr.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from agent.errors import AgentError
from agent.sandbox.base import Limits

app = typer.Typer(help="Build sandbox images and run commands in the sandbox.",
                  no_args_is_help=True)


def _echo(data: bytes) -> None:
    sys.stdout.buffer.write(data)
    sys.stdout.flush()


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


@app.command("build")
def build(
    image: Annotated[str, typer.Option(
        help="Image to build: core (Python, C, C++), rust (on top of core), all (core and rust), "
             "or c2rust (the C2Rust transpiler on rust; 10-40 min).")] = "core",
    from_registry: Annotated[bool, typer.Option(
        "--from-registry", help="Start from debian:bookworm-slim pulled from a registry.")] = False,
    refresh: Annotated[bool, typer.Option(
        help="Rebuild even if up to date, and debootstrap anew.")] = False,
) -> None:
    """Build the sandbox images offline (debootstrap + docker import + toolchain layers)."""
    from agent.sandbox.build import build_images
    from agent.sandbox.engine import docker_client

    start = time.monotonic()
    built = build_images(docker_client(), image, _progress, from_registry=from_registry,
                         refresh=refresh)
    done = ", ".join(built) if built else "nothing (all up to date)"
    print(f"built {done} in {time.monotonic() - start:.0f}s")


@app.command("run", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def run(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="Repository to copy into the sandbox.")],
    timeout: Annotated[float, typer.Option(help="Wall-time limit in seconds.")] = 300.0,
    memory: Annotated[int, typer.Option(help="Memory limit in MB.")] = 2048,
    backend: Annotated[str, typer.Option(help="docker, bwrap, or none (unsandboxed).")] = "docker",
    image: Annotated[str | None, typer.Option(help="Image tag (default: from the repo).")] = None,
    i_accept_unsandboxed: Annotated[bool, typer.Option(
        "--i-accept-unsandboxed", help="Allow --backend none: runs code on this host.")] = False,
) -> None:
    """Run CMD (after --) in the sandbox over a copy of PATH; exit with its status."""
    from agent.sandbox.factory import open_runner

    command = list(ctx.args)
    if not command:
        raise AgentError("no command given: put it after '--', e.g. "
                         "agent sandbox run . -- make test")
    if not path.is_dir():
        raise AgentError(f"{path} is not a directory: give the repository's path")
    limits = Limits(timeout_s=timeout, memory_mb=memory)
    with open_runner(backend, image=image, repo=path, allow_unsandboxed=i_accept_unsandboxed,
                     echo=_echo) as runner:
        result = runner.run(path.resolve(), command, limits)
    if result.output and not result.output.endswith("\n"):
        _echo(b"\n")
    if result.killed_by:
        print(f"agent: stopped by the {result.killed_by} limit after {result.duration_s:.1f}s "
              f"(status {result.exit_code})", file=sys.stderr)
    raise typer.Exit(result.exit_code)
