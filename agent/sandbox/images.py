"""Which sandbox images exist, what recipe each comes from, and which one a repository needs.

Every image carries the label ``agent.recipe-hash``; an image whose label matches the hash of
its recipe (and of its base) is up to date and is not rebuilt.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from agent.errors import AgentError

HASH_LABEL = "agent.recipe-hash"
PREFIX = "agent-sandbox-"
SUITE = "bookworm"
VARIANT = "minbase"
REGISTRY_BASE = "debian:bookworm-slim"
BASE = PREFIX + "base"


@dataclass(frozen=True)
class ImageSpec:
    """One layered image: its short name, recipe file and the image it is built on."""

    short: str
    recipe: str
    parent: str  # short name of the parent image, or "base"

    @property
    def tag(self) -> str:
        return PREFIX + self.short


IMAGES: dict[str, ImageSpec] = {
    "core": ImageSpec("core", "core.Dockerfile", "base"),
    "rust": ImageSpec("rust", "rust.Dockerfile", "core"),
}
DEFAULT_IMAGE = IMAGES["core"].tag


def recipes_dir() -> Path:
    """The top-level ``sandbox/`` folder of this checkout, where the recipes live."""
    here = Path(__file__).resolve().parents[2] / "sandbox"
    if not (here / "core.Dockerfile").is_file():
        raise AgentError(f"sandbox recipes not found in {here}: run agent from its source checkout")
    return here


def base_hash(mirror: str) -> str:
    """Hash of what makes the base root filesystem: suite, variant and mirror."""
    return _sha(f"debootstrap {VARIANT} {SUITE} {mirror}")


def recipe_hash(spec: ImageSpec, parent_hash: str) -> str:
    """Hash of a layered image's recipe text and its parent's hash."""
    text = (recipes_dir() / spec.recipe).read_text()
    return _sha(parent_hash + "\n" + text)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def chain(short: str) -> list[ImageSpec]:
    """The layered images to build, parents first, for the image ``short`` (or ``all``)."""
    if short == "all":
        return list(IMAGES.values())  # declared parents first
    if short not in IMAGES:
        raise AgentError(f"unknown sandbox image '{short}': choose one of "
                         f"{', '.join(IMAGES)} or all")
    spec = IMAGES[short]
    return ([] if spec.parent == "base" else chain(spec.parent)) + [spec]


def image_for(repo: Path | None) -> str:
    """The image a repository's languages need: Rust gets the rust image, the rest core."""
    if repo is not None and (repo / "Cargo.toml").is_file():
        return IMAGES["rust"].tag
    return DEFAULT_IMAGE


def short_name(tag: str) -> str:
    """``agent-sandbox-rust`` -> ``rust``, for messages that tell which image to build."""
    return tag.removeprefix(PREFIX).split(":")[0]
