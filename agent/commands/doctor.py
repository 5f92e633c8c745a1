"""`agent doctor`: what works on this machine and how to fix what does not.

Checks Docker, the sandbox images (and the C2Rust transpiler's), bubblewrap, llama.cpp, the
bundled models and free memory.
Exits 1 only when no sandbox backend can run checks, since nothing can be verified then.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from typing import Any

import typer

from agent.errors import AgentError


@dataclass(frozen=True)
class Finding:
    """One line of the report: what was checked, whether it is fine, and the detail or fix."""

    item: str
    ok: bool
    detail: str


def doctor() -> None:
    """Say what works on this machine and how to fix what does not."""
    engine = _docker()
    findings = [engine, *_images(engine.ok), _bwrap(), _llama(), *_models(), _memory()]
    width = max(len(f.item) for f in findings)
    for f in findings:
        typer.echo(f"{'ok ' if f.ok else 'no '} {f.item.ljust(width)}  {f.detail}")
    by_item = {f.item: f.ok for f in findings}
    if not by_item["docker engine"] and not by_item["bubblewrap"]:
        typer.echo("no sandbox backend works here: checks cannot run until one of the above "
                   "is fixed", err=True)
        raise typer.Exit(1)


def _docker() -> Finding:
    from agent.sandbox.engine import docker_client

    try:
        client = docker_client()
    except AgentError as err:
        return Finding("docker engine", False, str(err))
    return Finding("docker engine", True, f"reachable, server {client.version()['Version']}")


def _images(engine_ok: bool) -> list[Finding]:
    from agent.sandbox import images

    tags = [images.BASE, *(spec.tag for spec in images.IMAGES.values())]
    if not engine_ok:
        return [Finding(t, False, "unknown: the Docker engine is not reachable") for t in tags]
    from agent.sandbox.build import expected_hashes
    from agent.sandbox.engine import docker_client, image_label

    client = docker_client()
    want = expected_hashes()
    found = []
    for tag in tags:
        label = image_label(client, tag, images.HASH_LABEL)
        short = images.short_name(tag)
        build = "core" if short == "base" else short
        if label is None:
            detail = f"missing: run 'agent sandbox build --image {build}'"
            if short == "rust":
                detail += " (only Rust repositories need it)"
            if short == "c2rust":
                detail += " (optional: see the transpiler line)"
            found.append(Finding(tag, short in ("rust", "c2rust"), detail))
        elif label != want[tag]:
            found.append(Finding(tag, True, f"present but its recipe changed: run "
                                 f"'agent sandbox build --image {build}'"))
        else:
            found.append(Finding(tag, True, f"present and up to date (recipe {label})"))
    return [*found, _transpiler(client)]


OPTIONAL_TOOL = (" (10-40 min to build; without it, a C-to-Rust stage whose Rust the model cannot get to "
                 "compile fails instead of taking the transpiled function)")


def _transpiler(client: Any) -> Finding:
    """Whether C-to-Rust runs have the C2Rust transpiler as their floor."""
    from agent.sandbox import images
    from agent.sandbox.engine import image_label

    version = image_label(client, images.TOOL_IMAGE, images.TOOL_VERSION_LABEL)
    if version is None:
        return Finding("c2rust transpiler", True,
                       "not available: run 'agent sandbox build --image c2rust'" + OPTIONAL_TOOL)
    return Finding("c2rust transpiler", True, f"c2rust {version} in {images.TOOL_IMAGE}")


def _bwrap() -> Finding:
    tool = shutil.which("bwrap")
    if tool is None:
        return Finding("bubblewrap", False, "not installed: 'apt-get install bubblewrap'")
    try:
        probe = subprocess.run([tool, "--unshare-all", "--ro-bind", "/", "/", "true"],
                               capture_output=True, text=True, timeout=10)
    except subprocess.TimeoutExpired:
        return Finding("bubblewrap", False, "did not start within 10s")
    if probe.returncode != 0:
        why = (probe.stderr.strip().splitlines() or ["no detail"])[-1]
        return Finding("bubblewrap", False, f"cannot make namespaces ({why}): enable "
                       "unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1)")
    return Finding("bubblewrap", True, f"{tool} works ('--backend bwrap')")


def _llama() -> Finding:
    try:
        import llama_cpp
    except Exception as ex:  # a missing or broken native library shows up as any error
        return Finding("llama-cpp-python", False, f"not importable ({type(ex).__name__}: {ex}); "
                       "'pip install llama-cpp-python'")
    from agent.llm.gpu import gpu_offload_available

    gpu = gpu_offload_available()
    backend = "GPU offload available" if gpu else "CPU only (no GPU backend compiled in)"
    return Finding("llama-cpp-python", True, f"{llama_cpp.__version__}, {backend}")


def _models() -> list[Finding]:
    from agent.llm.registry import BUNDLED, bundled_path

    found = []
    for name in BUNDLED:
        path = bundled_path(name)
        if path.is_file():
            found.append(Finding(f"model {name}", True, f"{path} ({path.stat().st_size >> 20} MB)"))
        else:
            found.append(Finding(f"model {name}", False,
                                 f"not assembled: 'agent models pull {name}'"))
    return found


def _memory() -> Finding:
    import psutil

    free_gb = psutil.virtual_memory().available / 2**30
    ok = free_gb >= 4
    detail = f"{free_gb:.1f} GB available" + ("" if ok else " (a model and a sandbox want ~4 GB)")
    return Finding("free memory", ok, detail)
