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
    """One layered image: its short name, recipe file, the image it is built on, and the
    toolchains it offers (a child offers its parent's too)."""

    short: str
    recipe: str
    parent: str  # short name of the parent image, or "base"
    tools: frozenset[str]
    on_demand: bool = False  # slow to build: only when named, never as part of "all"

    @property
    def tag(self) -> str:
        return PREFIX + self.short


IMAGES: dict[str, ImageSpec] = {
    "core": ImageSpec("core", "core.Dockerfile", "base", frozenset({"python", "c"})),
    "rust": ImageSpec("rust", "rust.Dockerfile", "core", frozenset({"python", "c", "rust"})),
    "c2rust": ImageSpec("c2rust", "c2rust.Dockerfile", "rust",
                        frozenset({"python", "c", "rust", "c2rust"}), on_demand=True),
}
RUST_IMAGE = IMAGES["rust"].tag
TOOL_IMAGE = IMAGES["c2rust"].tag
TOOL_VERSION_LABEL = "agent.c2rust-version"  # set by c2rust.Dockerfile
# Directories that never hold a project's own manifests: a crate there does not ask for Rust.
NOT_PROJECT = {".git", ".agent", "target", "node_modules", ".venv", "build"}
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
        return [spec for spec in IMAGES.values() if not spec.on_demand]  # declared parents first
    if short not in IMAGES:
        raise AgentError(f"unknown sandbox image '{short}': choose one of "
                         f"{', '.join(IMAGES)} or all")
    spec = IMAGES[short]
    return ([] if spec.parent == "base" else chain(spec.parent)) + [spec]


def has_crate(root: Path) -> bool:
    """Whether a ``Cargo.toml`` sits anywhere in the tree (a C project grows one in ``rust/``)."""
    for path in root.rglob("Cargo.toml"):
        if not NOT_PROJECT.intersection(path.relative_to(root).parts[:-1]):
            return True
    return False


def image_for(repo: Path | None, strategy: str | None = None) -> str:
    """The image a repository's languages need: Rust (a crate anywhere in the tree, or a run
    that translates C to Rust) gets the rust image, the rest core."""
    if strategy == "c2rust" or (repo is not None and repo.is_dir() and has_crate(repo)):
        return RUST_IMAGE
    return DEFAULT_IMAGE


def covers(tag: str, need: str) -> bool:
    """Whether image ``tag`` offers every toolchain image ``need`` does (rust covers core)."""
    have, want = IMAGES.get(short_name(tag)), IMAGES.get(short_name(need))
    if have is None or want is None:
        return tag == need  # an image named by the user: it is what they asked for
    return want.tools <= have.tools


def short_name(tag: str) -> str:
    """``agent-sandbox-rust`` -> ``rust``, for messages that tell which image to build."""
    return tag.removeprefix(PREFIX).split(":")[0]
