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
    assert [s.short for s in images.chain("all")] == ["core", "rust"]
    with pytest.raises(AgentError, match="unknown sandbox image"):
        images.chain("java")


def test_image_follows_the_repository_language(tmp_path: Path) -> None:
    assert images.image_for(tmp_path) == "agent-sandbox-core"
    (tmp_path / "Cargo.toml").write_text("")
    assert images.image_for(tmp_path) == "agent-sandbox-rust"


def test_recipes_work_from_a_registry_too() -> None:
    text = (images.recipes_dir() / "core.Dockerfile").read_text()
    assert "ARG BASE=debian:bookworm-slim\nFROM ${BASE}" in text
