"""On-disk cache of parse results and token counts, keyed by file content (git blob id).

One SQLite file, so a warm run over 2,000 files is a handful of indexed reads rather than
2,000 small files, and concurrent runs do not corrupt it. A stat table (path, size, mtime)
-> blob lets a warm run skip reading files that did not change, as git's own index does.
It lives in ``REPO/.agent/cache/context/`` or, when the repository is read-only, under
``agent.home.data_home()``.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from agent.home import data_home
from agent.vcs import git

HEAVY = ("refs",)  # stored apart: only the graph build reads them
DB_NAME = "index-v2.sqlite"  # a new name whenever the tables change shape
_SCHEMA = """
CREATE TABLE IF NOT EXISTS stat (path TEXT PRIMARY KEY, size INT, mtime INT, ino INT,
                                 blob TEXT, lang TEXT, skip TEXT, note TEXT);
CREATE TABLE IF NOT EXISTS symbols (blob TEXT, version INT, data TEXT, refs TEXT,
                                    PRIMARY KEY (blob, version));
CREATE TABLE IF NOT EXISTS tokens (key TEXT PRIMARY KEY, n INT);
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, data BLOB);
"""


def cache_dir_for(repo: Path) -> Path:
    """``REPO/.agent/cache/context``, or a per-repository folder in the data home if read-only.

    For a linked worktree (a run's), REPO is the main working tree: blobs parsed for one
    worktree are not parsed again for the next run's.
    """
    repo = _main_tree(repo)
    local = repo / ".agent" / "cache" / "context"
    try:
        if not local.is_dir():
            local.mkdir(parents=True)
            _exclude_from_git(repo)
        if os.access(local, os.W_OK):
            return local
    except OSError:
        pass
    key = hashlib.sha256(str(repo.resolve()).encode()).hexdigest()[:16]
    fallback = data_home() / "cache" / "context" / key
    fallback.mkdir(parents=True, exist_ok=True)
    return fallback


def _main_tree(repo: Path) -> Path:
    """The main working tree of ``repo``'s repository, or ``repo`` itself if that is unclear."""
    proc = git.run(repo, "rev-parse", "--path-format=absolute", "--git-common-dir")
    common = Path(proc.stdout.decode().strip()) if proc.returncode == 0 else None
    if common is None or common.name != ".git":
        return repo
    main = common.parent
    here = Path(git.run(repo, "rev-parse", "--show-toplevel").stdout.decode().strip() or repo)
    return main if here.resolve() != main.resolve() else repo


def _exclude_from_git(repo: Path) -> None:
    """Keep the cache out of ``git status``, as the run files are (best effort)."""
    try:
        from agent.vcs.worktree import exclude_run_files

        exclude_run_files(repo)
    except Exception:  # noqa: BLE001 - a repo we cannot edit still gets its context packed
        pass


class ContextCache:
    """Parse results by (blob, parser version), token counts by key, stat rows by path."""

    def __init__(self, directory: Path | None) -> None:
        """``None`` keeps everything in memory: for callers that must not write to disk."""
        if directory is None:
            self.db = sqlite3.connect(":memory:")
        else:
            directory.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(directory / DB_NAME, timeout=30)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(_SCHEMA)

    def close(self) -> None:
        self.db.commit()
        self.db.close()

    def stat_rows(self, root: str) -> dict[str, tuple[Any, ...]]:
        """Relative path -> (size, mtime, inode, blob, lang, skip, note) for the tree at ``root``.

        Rows are keyed by absolute path, so the worktrees of one repository share one cache.
        """
        prefix = root.rstrip("/") + "/"
        rows = self.db.execute(
            "SELECT path, size, mtime, ino, blob, lang, skip, note FROM stat "
            "WHERE substr(path, 1, ?) = ?", (len(prefix), prefix))
        return {r[0][len(prefix):]: r[1:] for r in rows}

    def put_stat_rows(
        self, root: str, rows: Iterable[tuple[Any, ...]], drop: Iterable[str]
    ) -> None:
        """Store rows (relative path first) for the tree at ``root``; forget ``drop`` paths."""
        prefix = root.rstrip("/") + "/"
        self.db.executemany("INSERT OR REPLACE INTO stat VALUES (?,?,?,?,?,?,?,?)",
                            ((prefix + r[0], *r[1:]) for r in rows))
        self.db.executemany("DELETE FROM stat WHERE path=?", ((prefix + p,) for p in drop))
        self.db.commit()

    def symbols(
        self, blobs: list[str], version: int, refs: bool = True
    ) -> dict[str, dict[str, Any]]:
        """Cached parse results for those ``blobs`` that have one.

        ``refs=False`` leaves out the word counts ``refs`` (most of the bytes)
        for callers that only show definitions.
        """
        found: dict[str, dict[str, Any]] = {}
        column = "refs" if refs else "'{\"refs\":{}}'"
        for i in range(0, len(blobs), 500):
            chunk = blobs[i:i + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(
                f"SELECT blob, data, {column} FROM symbols WHERE version=? AND blob IN ({marks})",
                [version, *chunk],
            )
            found.update((b, {**json.loads(d), **json.loads(r)}) for b, d, r in rows)
        return found

    def missing_symbols(self, blobs: list[str], version: int) -> set[str]:
        """The ``blobs`` with no cached parse result: the files that need parsing."""
        have: set[str] = set()
        for i in range(0, len(blobs), 500):
            chunk = blobs[i:i + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(
                f"SELECT blob FROM symbols WHERE version=? AND blob IN ({marks})",
                [version, *chunk],
            )
            have.update(r[0] for r in rows)
        return set(blobs) - have

    def get(self, key: str) -> bytes | None:
        row = self.db.execute("SELECT data FROM kv WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def put(self, key: str, data: bytes, replace_prefix: str = "") -> None:
        """Store ``data``, dropping older entries under ``replace_prefix`` (one map is enough)."""
        if replace_prefix:
            self.db.execute("DELETE FROM kv WHERE key LIKE ?", (replace_prefix + "%",))
        self.db.execute("INSERT OR REPLACE INTO kv VALUES (?,?)", (key, data))
        self.db.commit()

    def put_symbols(self, items: dict[str, dict[str, Any]], version: int) -> None:
        def row(blob: str, d: dict[str, Any]) -> tuple[str, int, str, str]:
            rest = {k: v for k, v in d.items() if k not in HEAVY}
            heavy = {k: d[k] for k in HEAVY}
            return (blob, version, json.dumps(rest, separators=(",", ":")),
                    json.dumps(heavy, separators=(",", ":")))

        self.db.executemany("INSERT OR REPLACE INTO symbols VALUES (?,?,?,?)",
                            (row(b, d) for b, d in items.items()))
        self.db.commit()

    def tokens(self, keys: list[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(f"SELECT key, n FROM tokens WHERE key IN ({marks})", chunk)
            found.update(rows)
        return found

    def put_tokens(self, items: dict[str, int]) -> None:
        self.db.executemany("INSERT OR REPLACE INTO tokens VALUES (?,?)", items.items())
        self.db.commit()
