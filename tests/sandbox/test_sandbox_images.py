"""Image recipes: the apt mirror the base comes from, recipe hashes, and image choice."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.errors import AgentError
from agent.sandbox import images
from agent.sandbox.build import FALLBACK_MIRROR, apt_mirror


def test_mirror_from_deb822_sources(tmp_path: Path) -> None:
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list.d" / "debian.sources").write_text(
        "Types: deb\nURIs: http://security.example/debian-security\n"
        "Suites: bookworm-security\nComponents: main\n\n"
        "Types: deb\n# a comment\nURIs: http://mirror.example/debian/\n"
        "Suites: bookworm bookworm-updates\nComponents: main\n")
    assert apt_mirror(tmp_path) == "http://mirror.example/debian"


def test_mirror_from_one_line_sources(tmp_path: Path) -> None:
    (tmp_path / "sources.list").write_text(
        "deb https://other.example/apt cloud-sdk-bookworm main\n"
        "deb [arch=amd64] http://ftp.example/debian bookworm main contrib\n")
    assert apt_mirror(tmp_path) == "http://ftp.example/debian"


def test_mirror_falls_back_when_apt_names_none(tmp_path: Path) -> None:
    assert apt_mirror(tmp_path) == FALLBACK_MIRROR


def test_recipe_hash_follows_recipe_and_parent() -> None:
    core = images.IMAGES["core"]
    assert images.recipe_hash(core, "a") == images.recipe_hash(core, "a")
    assert images.recipe_hash(core, "a") != images.recipe_hash(core, "b")
    assert images.base_hash("http://a") != images.base_hash("http://b")


def test_chain_builds_parents_first() -> None:
    assert [s.short for s in images.chain("rust")] == ["core", "rust"]
    assert [s.short for s in images.chain("c2rust")] == ["core", "rust", "c2rust"]
    # the transpiler's image takes long to build: "all" (what the test set-up builds) leaves it out
    assert [s.short for s in images.chain("all")] == ["core", "rust"]
    with pytest.raises(AgentError, match="unknown sandbox image"):
        images.chain("java")


def test_image_follows_the_repository_language(tmp_path: Path) -> None:
    assert images.image_for(tmp_path) == "agent-sandbox-core"
    (tmp_path / "Cargo.toml").write_text("")
    assert images.image_for(tmp_path) == "agent-sandbox-rust"


def test_a_crate_anywhere_in_the_tree_or_a_translation_needs_rust(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "m.c").write_text("int f(void) { return 1; }\n")
    (tmp_path / "target" / "x").mkdir(parents=True)
    (tmp_path / "target" / "x" / "Cargo.toml").write_text("")  # build output is not the project
    assert images.image_for(tmp_path) == "agent-sandbox-core"
    assert images.image_for(tmp_path, strategy="c2rust") == "agent-sandbox-rust"
    (tmp_path / "rust").mkdir()
    (tmp_path / "rust" / "Cargo.toml").write_text("")  # what the scaffold stage of c2rust adds
    assert images.image_for(tmp_path) == "agent-sandbox-rust"


def test_bigger_images_cover_smaller_ones() -> None:
    core, rust, tool = (images.IMAGES[n].tag for n in ("core", "rust", "c2rust"))
    assert images.covers(rust, core) and images.covers(tool, rust) and images.covers(rust, rust)
    assert not images.covers(core, rust) and not images.covers(rust, tool)
    assert images.covers("my-image", "my-image") and not images.covers("my-image", core)


def test_recipes_work_from_a_registry_too() -> None:
    text = (images.recipes_dir() / "core.Dockerfile").read_text()
    assert "ARG BASE=debian:bookworm-slim\nFROM ${BASE}" in text


@pytest.mark.docker
@pytest.mark.usefixtures("docker_engine")
def test_runner_moves_to_the_rust_image_when_a_crate_appears(tmp_path: Path) -> None:
    """A C project opens the core image; once a stage adds rust/Cargo.toml, checks need cargo."""
    from agent.sandbox.base import Limits
    from agent.sandbox.docker_runner import DockerRunner
    from agent.sandbox.factory import open_runner

    (tmp_path / "m.c").write_text("int main(void) { return 0; }\n")
    probe = ["sh", "-c", "command -v cargo || echo no cargo"]
    with open_runner("docker", repo=tmp_path) as runner:
        assert isinstance(runner, DockerRunner) and runner.image == images.DEFAULT_IMAGE
        assert "no cargo" in runner.run(tmp_path, probe, Limits(timeout_s=60)).output
        (tmp_path / "rust").mkdir()
        (tmp_path / "rust" / "Cargo.toml").write_text('[package]\nname = "m"\nversion = "0.1.0"\n')
        after = runner.run(tmp_path, probe, Limits(timeout_s=60))
        assert runner.image == images.IMAGES["rust"].tag
    assert after.exit_code == 0 and after.output.strip().endswith("/cargo")


@pytest.mark.docker
@pytest.mark.usefixtures("docker_engine")
def test_doctor_says_whether_the_transpiler_is_there() -> None:
    from agent.commands.doctor import _transpiler
    from agent.sandbox.engine import docker_client, image_label

    client = docker_client()
    finding = _transpiler(client)
    assert finding.item == "c2rust transpiler" and finding.ok  # optional: never fails the doctor
    if image_label(client, images.TOOL_IMAGE, images.HASH_LABEL) is None:
        assert finding.detail.startswith("not available: run 'agent sandbox build --image c2rust'")
    else:
        assert finding.detail == f"c2rust 0.22.1 in {images.TOOL_IMAGE}"
