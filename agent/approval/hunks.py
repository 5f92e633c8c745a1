"""Facts about a unified diff (paths, size) and picking its hunks one by one like ``git add -p``.

Paths and sizes come from ``git apply --numstat -z``: git's own reading of the patch, so the
names policy rules see are the names git writes (never the quoted, escaped forms of the diff
header), and a patch git cannot read is refused rather than half-understood.
"""

from __future__ import annotations

from dataclasses import dataclass

from unidiff import PatchedFile, PatchSet
from unidiff.errors import UnidiffParseError

from agent.errors import AgentError
from agent.vcs import git


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


@dataclass(frozen=True)
class FileChange:
    """One file of a patch as git applies it: its path(s), unquoted, and its line counts."""

    paths: tuple[str, ...]  # one path, or (old, new) for a rename or copy
    added: int
    removed: int


def numstat(patch: str | bytes) -> list[FileChange]:
    """Every file the patch changes, read by git itself (``-z``: names exactly as on disk)."""
    data = patch.encode("utf-8", "surrogateescape") if isinstance(patch, str) else patch
    if not data.strip():
        return []
    proc = git.run("/", "apply", "--numstat", "-z", "-", input=data)
    if proc.returncode:
        why = proc.stderr.decode(errors="replace").strip().splitlines()
        raise AgentError(f"git cannot read the patch ({why[-1] if why else 'no message'}); regenerate the stage")
    fields = proc.stdout.decode("utf-8", "surrogateescape").split("\0")
    out: list[FileChange] = []
    i = 0
    while i < len(fields) - 1:
        added, removed, path = fields[i].split("\t", 2)
        names = (path,) if path else (fields[i + 1], fields[i + 2])  # a rename: old, new follow
        i += 1 if path else 3
        out.append(FileChange(names, _count(added), _count(removed)))
    return out


def _count(field: str) -> int:
    return int(field) if field.isdigit() else 0  # "-" for a binary file


def changed_paths(patch: str | bytes) -> list[str]:
    """Every path the patch touches, both sides of a rename, in order, once each."""
    return list(dict.fromkeys(p for change in numstat(patch) for p in change.paths))


def diff_lines(patch: str | bytes) -> int:
    """Added plus removed lines: the size policy limits."""
    return sum(change.added + change.removed for change in numstat(patch))


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
