"""Build the repository map: scan, then parse only what the cache does not already hold.

A second run over an unchanged repository parses nothing (stat and symbols both come from the
cache); after a change only files whose blob id is new are parsed. Cold parses run in a
process pool so large trees use every core. Symbols load lazily: a warm run whose symbol
graph is cached reads only the symbols of files it shows as signatures.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

from agent.context.cache import ContextCache, cache_dir_for
from agent.context.parse import PARSE_VERSION, FileSymbols, parse_path
from agent.context.scan import FileEntry, ScanRules, git_files, scan_repository

POOL_MIN_FILES = 48  # below this a pool costs more to start than it saves


@dataclass
class RepoMap:
    """All files git lists; symbols of packable ones come from the cache on demand."""

    root: Path
    files: list[FileEntry]
    cache: ContextCache
    stats: dict[str, float] = field(default_factory=dict)
    _symbols: dict[str, FileSymbols] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._entries = {f.path: f for f in self.files}
        self._outlines: dict[str, FileSymbols] = {}

    def entry(self, path: str) -> FileEntry | None:
        return self._entries.get(path)

    def packable(self) -> list[FileEntry]:
        return [f for f in self.files if not f.skip]

    def preload_outlines(self, paths: list[str]) -> None:
        """Fetch the outlines of ``paths`` in one query (the pack walks them one by one)."""
        entries = [self._entries[p] for p in paths if p in self._entries and p not in self._symbols]
        found = self.cache.symbols(sorted({e.blob for e in entries}), PARSE_VERSION, refs=False)
        self._outlines.update((e.path, found[e.blob]) for e in entries if e.blob in found)

    def outline(self, path: str) -> FileSymbols | None:
        """Definitions, imports and calls of ``path``, without its (bulky) word counts."""
        if path in self._symbols:
            return self._symbols[path]
        if path in self._outlines:
            return self._outlines[path]
        entry = self._entries.get(path)
        if entry is None or entry.skip:
            return None
        return self.cache.symbols([entry.blob], PARSE_VERSION, refs=False)[entry.blob]

    def all_outlines(self) -> dict[str, FileSymbols]:
        """Path -> outline (no word counts) for every packable file, in one batch."""
        self.preload_outlines([f.path for f in self.packable() if f.path not in self._outlines])
        return {f.path: self._symbols.get(f.path) or self._outlines[f.path]
                for f in self.packable()}

    def all_symbols(self) -> dict[str, FileSymbols]:
        """Path -> symbols for every packable file, loaded in one batch."""
        missing = [f for f in self.packable() if f.path not in self._symbols]
        found = self.cache.symbols(sorted({f.blob for f in missing}), PARSE_VERSION)
        self._symbols.update((f.path, found[f.blob]) for f in missing)
        return {f.path: self._symbols[f.path] for f in self.packable()}

    def digest(self) -> str:
        """Identity of the packable tree (paths and contents), to key whole-map caches."""
        h = hashlib.sha1(f"v{PARSE_VERSION}".encode())
        for f in self.packable():
            h.update(f"{f.path}\0{f.blob}\0{f.lang}\n".encode())
        return h.hexdigest()


def _parse_all(jobs: list[tuple[str, str]], workers: int) -> list[FileSymbols]:
    if workers <= 1 or len(jobs) < POOL_MIN_FILES:
        return [parse_path(j) for j in jobs]
    chunk = max(1, min(64, len(jobs) // (workers * 8)))
    # fork is cheapest, but unsafe once the caller runs threads (llama.cpp, langgraph): spawn then.
    method = "fork" if threading.active_count() == 1 else "spawn"
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context(method)) as pool:
            return list(pool.map(parse_path, jobs, chunksize=chunk))
    except (BrokenProcessPool, OSError, RuntimeError):  # no pool here: parse in this process
        return [parse_path(j) for j in jobs]


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def build_repo_map(
    repo: Path,
    rules: ScanRules | None = None,
    *,
    cache_dir: Path | None = None,
    use_disk_cache: bool = True,
    workers: int | None = None,
) -> RepoMap:
    """Scan ``repo`` and parse the source files whose content the cache has not seen."""
    t0 = time.perf_counter()
    repo = Path(repo)
    rules = (rules or ScanRules()).with_ignore_file(repo)
    listed = git_files(repo)  # first: a bad path must fail before a cache folder is made
    directory = (cache_dir or cache_dir_for(repo)) if use_disk_cache else None
    cache = ContextCache(directory)
    scan = scan_repository(repo, listed, rules, cache)
    rmap = RepoMap(repo, scan.files, cache)
    sources = rmap.packable()
    todo: dict[str, FileEntry] = {}
    unknown = cache.missing_symbols(sorted({f.blob for f in sources}), PARSE_VERSION)
    for f in sources:
        if f.blob in unknown and f.blob not in todo:
            todo[f.blob] = f
    jobs = [(str(repo / f.path), f.lang or "") for f in todo.values()]
    results = _parse_all(jobs, workers if workers is not None else default_workers())
    fresh = dict(zip(todo, results, strict=True))
    cache.put_symbols(fresh, PARSE_VERSION)
    for f in sources:
        if f.blob in fresh:
            rmap._symbols[f.path] = fresh[f.blob]
    rmap.stats = {"files": len(scan.files), "read": scan.read, "parsed": len(fresh),
                  "from_cache": len(sources) - len(fresh), "seconds": time.perf_counter() - t0}
    return rmap
