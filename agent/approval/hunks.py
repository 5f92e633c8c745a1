"""Facts about a unified diff (paths, size) and picking its hunks one by one like ``git add -p``."""

from __future__ import annotations

from dataclasses import dataclass

from unidiff import PatchedFile, PatchSet
from unidiff.errors import UnidiffParseError

from agent.errors import AgentError


@dataclass(frozen=True)
class Hunk:
    """One hunk with the file it belongs to, for showing and choosing."""

    file_index: int
    path: str
    text: str  # "@@ ... @@" and its lines


def parse(patch: str) -> PatchSet:
    try:
        return PatchSet(patch)
    except UnidiffParseError as ex:
        raise AgentError(f"patch is not a valid unified diff ({ex}); regenerate the stage") from ex


def _strip(name: str) -> str:
    return name[2:] if name.startswith(("a/", "b/")) else name


def changed_paths(patch: str) -> list[str]:
    """Every path the patch touches, both sides of a rename, in order, once each."""
    out: list[str] = []
    for pf in parse(patch):
        for name in (pf.source_file, pf.target_file):
            if name and name != "/dev/null":
                out.append(_strip(name))
    return list(dict.fromkeys(out))


def diff_lines(patch: str) -> int:
    """Added plus removed lines: the size policy limits."""
    return sum(pf.added + pf.removed for pf in parse(patch))


def split(patch: str) -> list[Hunk]:
    return [
        Hunk(i, pf.path, str(h)) for i, pf in enumerate(parse(patch)) for h in pf
    ]


def _header(pf: PatchedFile) -> str:
    info = "".join(str(line) for line in pf.patch_info or [])
    if not any(line.startswith("--- ") for line in info.splitlines()):
        info += f"--- {pf.source_file}\n+++ {pf.target_file}\n"
    return info


def select(patch: str, keep: list[bool]) -> str:
    """The patch with only the chosen hunks; later hunks' new-file line numbers are shifted.

    Files without hunks (pure renames, mode changes) are kept whole.
    """
    out: list[str] = []
    flags = iter(keep)
    for pf in parse(patch):
        if not len(pf):  # rename, mode change or binary: nothing to pick, kept whole
            out.append(str(pf))
            continue
        chosen, shift = [], 0
        for hunk in pf:
            if next(flags):
                start = hunk.target_start + shift if hunk.source_length else hunk.target_start
                head = (
                    f"@@ -{hunk.source_start},{hunk.source_length}"
                    f" +{start},{hunk.target_length} @@"
                )
                head += f" {hunk.section_header}" if hunk.section_header else ""
                chosen.append(head + "\n" + "".join(str(line) for line in hunk))
            else:
                shift -= hunk.added - hunk.removed
        if chosen:
            out.append(_header(pf) + "".join(chosen))
    return "".join(out)
