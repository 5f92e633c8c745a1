"""Choosing hunks yields a patch git applies, with exactly the chosen changes."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from agent.approval import hunks

ORIGINAL = "".join(f"line {i}\n" for i in range(1, 31))


def make_patch(repo: Path) -> str:
    """Three hunks in a.txt (one adds two lines, so later line numbers shift) and a new file."""
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "a.txt").write_text(ORIGINAL)
    subprocess.run(["git", "-C", str(repo), "add", "a.txt"], check=True)
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t",
                    "commit", "-q", "-m", "base"], check=True)
    lines = ORIGINAL.splitlines(keepends=True)
    lines[1] = "line 2 changed\nextra A\nextra B\n"
    lines[14] = "line 15 changed\n"
    lines[27] = "line 28 changed\n"
    (repo / "a.txt").write_text("".join(lines))
    (repo / "new.txt").write_text("hello\n")
    subprocess.run(["git", "-C", str(repo), "add", "-N", "new.txt"], check=True)
    diff = subprocess.run(["git", "-C", str(repo), "diff", "-U1"], check=True,
                          capture_output=True, text=True).stdout
    (repo / "a.txt").write_text(ORIGINAL)
    subprocess.run(["git", "-C", str(repo), "rm", "-q", "--cached", "new.txt"], check=True)
    (repo / "new.txt").unlink()
    return diff


def apply(repo: Path, patch: str) -> None:
    subprocess.run(["git", "-C", str(repo), "apply", "-"], input=patch, text=True, check=True)


def test_facts(tmp_path: Path) -> None:
    patch = make_patch(tmp_path)
    assert hunks.changed_paths(patch) == ["a.txt", "new.txt"]
    assert hunks.diff_lines(patch) == 9
    assert [h.path for h in hunks.split(patch)] == ["a.txt"] * 3 + ["new.txt"]


@pytest.mark.parametrize("keep", [[False, True, True, False], [True, False, True, True],
                                  [False, False, True, False]])
def test_chosen_hunks_apply_cleanly(tmp_path: Path, keep: list[bool]) -> None:
    patch = make_patch(tmp_path)
    apply(tmp_path, hunks.select(patch, keep))
    text = (tmp_path / "a.txt").read_text()
    assert ("line 2 changed\nextra A" in text) == keep[0]
    assert ("line 15 changed" in text) == keep[1]
    assert ("line 28 changed" in text) == keep[2]
    assert (tmp_path / "new.txt").exists() == keep[3]
