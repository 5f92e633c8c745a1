"""Fresh per-check copies of a repository, owned by the sandbox user.

Each check gets a new directory so nothing a previous check wrote can reach the next one, and
the copy is the only place the sandboxed user may write.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

SANDBOX_UID = 65534  # "nobody" on Debian, present in every image and on the host
SANDBOX_GID = 65534
SKIP = shutil.ignore_patterns(".git", "__pycache__", ".pytest_cache", ".venv")


def make_copy(src: Path, dest: Path) -> Path:
    """Copy ``src`` to ``dest`` (symlinks kept as links) and hand it to the sandbox user."""
    shutil.copytree(src, dest, symlinks=True, ignore=SKIP)
    _hand_over(dest)
    return dest


def _hand_over(root: Path) -> None:
    """chown to the sandbox user when we are root; otherwise open permissions instead."""
    as_root = os.geteuid() == 0
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [dirpath, *(os.path.join(dirpath, n) for n in dirnames + filenames)]:
            if as_root:
                os.lchown(name, SANDBOX_UID, SANDBOX_GID)
            elif not os.path.islink(name):
                mode = os.lstat(name).st_mode
                os.chmod(name, mode | 0o666 | (0o111 if mode & 0o111 else 0))


def remove_tree(path: Path) -> None:
    """Remove a finished check's directory, whatever modes the check left on it."""
    def fix_and_retry(func, name, _exc):  # type: ignore[no-untyped-def]
        try:
            os.chmod(os.path.dirname(name), 0o700)
            func(name)
        except OSError:
            pass

    shutil.rmtree(path, onerror=fix_and_retry)
