"""Building the sandbox images offline: debootstrap a Debian root, import it, layer toolchains.

No registry is needed: the base comes from the Debian mirror apt already uses, its tarball is
cached under agent's data dir so a rebuild skips debootstrap, and images whose recipe hash
label is current are left alone.
"""

from __future__ import annotations

import os
import re
import shutil
import ssl
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agent.errors import AgentError
from agent.home import data_home
from agent.sandbox import images
from agent.sandbox.base import EXIT_SANDBOX_ERROR
from agent.sandbox.engine import image_label

Progress = Callable[[str], None]
FALLBACK_MIRROR = "http://deb.debian.org/debian"
LOW_CPU_SHARES = 128  # of Docker's default 1024
HOST_CA = "/etc/ssl/certs/ca-certificates.crt"


def apt_mirror(root: Path = Path("/etc/apt")) -> str:
    """The URI apt uses for ``SUITE`` main (one-line or deb822 sources)."""
    found: list[str] = []
    for path in [root / "sources.list", *sorted((root / "sources.list.d").glob("*"))]:
        if not path.is_file():
            continue
        text = path.read_text(errors="replace")
        if path.suffix == ".sources":
            for stanza in re.split(r"\n\s*\n", text):
                fields = dict(re.findall(r"^(\w[\w-]*):\s*(.*)$", stanza, re.M))
                if images.SUITE in fields.get("Suites", "").split():
                    found += fields.get("URIs", "").split()
        else:
            pat = rf"^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+{images.SUITE}\s"
            found += re.findall(pat, text, re.M)
    return found[0].rstrip("/") if found else FALLBACK_MIRROR


def rootfs_tarball() -> Path:
    return data_home() / "sandbox" / f"rootfs-{images.SUITE}-{images.VARIANT}.tar"


def build_images(client: Any, short: str, progress: Progress, *, from_registry: bool = False,
                 refresh: bool = False) -> list[str]:
    """Build image ``short`` and its parents; return the tags that were (re)built."""
    built: list[str] = []
    if from_registry:
        parent_tag, parent_hash = images.REGISTRY_BASE, "registry:" + images.REGISTRY_BASE
    else:
        parent_tag, parent_hash = images.BASE, base_hash_for_mirror()
        if refresh or image_label(client, parent_tag, images.HASH_LABEL) != parent_hash:
            _build_base(client, parent_hash, progress, refresh)
            built.append(parent_tag)
        else:
            progress(f"{parent_tag}: up to date")
    hashes = {"base": (parent_tag, parent_hash)}
    for spec in images.chain(short):
        parent_tag, parent_hash = hashes[spec.parent]
        want = images.recipe_hash(spec, parent_hash)
        if not refresh and image_label(client, spec.tag, images.HASH_LABEL) == want:
            progress(f"{spec.tag}: up to date")
        else:
            _docker_build(client, spec, parent_tag, want, progress)
            built.append(spec.tag)
        hashes[spec.short] = (spec.tag, want)
    return built


def base_hash_for_mirror() -> str:
    return images.base_hash(apt_mirror())


def expected_hashes() -> dict[str, str]:
    """Tag -> the recipe hash a current local build of it carries."""
    want = {images.BASE: base_hash_for_mirror()}
    for spec in images.IMAGES.values():
        parent = images.BASE if spec.parent == "base" else images.IMAGES[spec.parent].tag
        want[spec.tag] = images.recipe_hash(spec, want[parent])
    return want


def _build_base(client: Any, label: str, progress: Progress, refresh: bool) -> None:
    tarball = rootfs_tarball()
    if refresh or not tarball.is_file():
        _debootstrap(tarball, apt_mirror(), progress)
    else:
        progress(f"using cached root filesystem {tarball}")
    progress(f"importing {tarball.name} as {images.BASE}")
    old = _image_id(client, images.BASE)
    client.api.import_image_from_file(
        str(tarball), repository=images.BASE, tag="latest",
        changes=[f"LABEL {images.HASH_LABEL}={label}",
                 "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                 "ENV LANG=C.UTF-8", 'CMD ["/bin/bash"]'],
    )
    _drop_replaced(client, images.BASE, old)


def _debootstrap(tarball: Path, mirror: str, progress: Progress) -> None:
    """Make the minbase root filesystem and pack it as the cached tarball."""
    tool = shutil.which("debootstrap") or "/usr/sbin/debootstrap"
    if not os.path.exists(tool):
        raise AgentError("debootstrap not found: install it ('apt-get install debootstrap')",
                         exit_code=EXIT_SANDBOX_ERROR)
    if os.geteuid() != 0:
        raise AgentError("debootstrap needs root: run 'sudo agent sandbox build' once",
                         exit_code=EXIT_SANDBOX_ERROR)
    tarball.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=tarball.parent, prefix="rootfs-") as tmp:
        root = Path(tmp) / "root"
        progress(f"debootstrap --variant={images.VARIANT} {images.SUITE} from {mirror} (~1 min)")
        _stream([tool, f"--variant={images.VARIANT}", images.SUITE, str(root), mirror], progress)
        for junk in ("var/cache/apt/archives", "var/lib/apt/lists"):
            for item in (root / junk).glob("*"):
                if item.is_file():
                    item.unlink()
        progress(f"packing {tarball}")
        partial = tarball.with_suffix(".partial")
        _stream(["tar", "-C", str(root), "--numeric-owner", "-cf", str(partial), "."], progress)
        partial.replace(tarball)


def _stream(cmd: list[str], progress: Progress) -> None:
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        progress("  " + line.rstrip())
    if proc.wait() != 0:
        raise AgentError(f"'{' '.join(cmd[:3])} ...' failed with status {proc.returncode}: "
                         "see the lines above; check the apt mirror is reachable",
                         exit_code=EXIT_SANDBOX_ERROR)


def _docker_build(client: Any, spec: images.ImageSpec, parent_tag: str, label: str,
                  progress: Progress) -> None:
    progress(f"building {spec.tag} from {spec.recipe} on {parent_tag}")
    old = _image_id(client, spec.tag)
    with tempfile.TemporaryDirectory(prefix="agent-recipe-") as context:
        _build_context(Path(context))
        stream = client.api.build(
            path=context, dockerfile=spec.recipe, tag=spec.tag,
            buildargs={"BASE": parent_tag}, labels={images.HASH_LABEL: label},
            network_mode="host", rm=True, forcerm=True, decode=True,
            # a long compile (the transpiler's) yields the CPU to everything else on the machine
            container_limits={"cpushares": LOW_CPU_SHARES} if spec.on_demand else None,
        )
        for chunk in stream:
            if "error" in chunk:
                raise AgentError(f"building {spec.tag} failed: {chunk['error'].strip()}",
                                 exit_code=EXIT_SANDBOX_ERROR)
            text = chunk.get("stream", "").rstrip()
            if text:
                progress("  " + text)
    _drop_replaced(client, spec.tag, old)


def _build_context(context: Path) -> None:
    """The recipes, and this host's CA certificates as ``host-ca.crt``: a build step that
    fetches over HTTPS (cargo, for the transpiler) trusts what the host trusts, e.g. a
    company proxy's CA. Certificates are public; only build stages read them."""
    shutil.copytree(images.recipes_dir(), context, dirs_exist_ok=True)
    bundle = Path(os.environ.get("SSL_CERT_FILE") or ssl.get_default_verify_paths().cafile or HOST_CA)
    target = context / "host-ca.crt"
    if bundle.is_file():
        shutil.copyfile(bundle, target)
    else:
        target.write_text("")


def _image_id(client: Any, tag: str) -> str | None:
    import docker

    try:
        return str(client.images.get(tag).id)
    except docker.errors.ImageNotFound:
        return None


def _drop_replaced(client: Any, tag: str, old: str | None) -> None:
    """Remove the image a rebuild replaced, unless something still uses it."""
    import docker

    if old is None or old == _image_id(client, tag):
        return
    try:
        client.images.remove(old)
    except docker.errors.APIError:
        pass  # a container or a child image still uses it: keep it
