"""Pack a repository into one deterministic text under a token budget.

Files go in by rank: whole files first (up to ``FULL_SHARE`` of the budget unless everything
fits), then signatures only for the next ones (the best-ranked symbols of a file with many),
then a list of names in the ``LIST_SHARE`` kept for it; budget left over after the signatures
upgrades signature files to whole files, best first. Each block is counted once with the
model's tokenizer and cached by blob id, so big trees are not re-tokenized; the final text is
counted once more to guarantee the budget. Same repository, goal and budget give the same bytes.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.context.graph import symbol_graph
from agent.context.rank import Ranking, rank
from agent.context.repomap import RepoMap, build_repo_map
from agent.context.scan import FileEntry, ScanRules

FULL_SHARE = 0.3
SIG_FILE_SHARE = 1 / 32  # one file's signatures may take this much of the budget
LIST_SHARE = 0.06  # kept for the list of file names that did not fit otherwise
# Code runs 3-4.5 bytes a token; a file over ROOM * 6 bytes is taken not to fit without being
# tokenized, so a cold run counts only files that might go in (the final count still guards).
BYTES_PER_TOKEN_CEILING = 6
TOP_SIGNATURES = (40, 12)  # best-ranked symbols kept when all of a file's are too many
MIN_ROOM = 32  # fewer tokens left than this: stop looking for more that fits
MAX_MISSES = 200  # this many files in a row did not fit: stop trying the rest
PRELOAD = 400  # outlines fetched in one query: about as many files as a pack looks at
LIST_HEADER = "=== other files (not shown) ===\n"
PACK_VERSION = 1


@dataclass(frozen=True)
class PackedContext:
    """The packed text and an account of what went in and what did not."""

    text: str
    tokens: int
    files_full: list[str] = field(default_factory=list)
    files_signatures: list[str] = field(default_factory=list)
    left_out: dict[str, str] = field(default_factory=dict)  # path -> reason
    files_listed: list[str] = field(default_factory=list)  # named in the file list only
    costs: dict[str, int] = field(default_factory=dict)  # path -> tokens of its block
    notes: dict[str, str] = field(default_factory=dict)  # path -> caveat on what was packed
    stats: dict[str, float] = field(default_factory=dict)

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()


def _full_block(path: str, text: str) -> str:
    return f"=== {path} ===\n{text}{'' if text.endswith(chr(10)) or not text else chr(10)}"


def _signature_block(path: str, sigs: list[str]) -> str:
    return f"=== {path} (signatures) ===\n" + "".join(s + "\n" for s in sigs)


def _signatures(defs: list[list[Any]], keep: set[str] | None = None) -> list[str]:
    """Signature lines in source order, each definition once; only ``keep`` names if given."""
    seen: set[str] = set()
    out: list[str] = []
    for name, _kind, _line, _scope, sig in sorted(defs, key=lambda d: int(d[2])):
        if (keep is None or name in keep) and sig not in seen:
            seen.add(sig)
            out.append(sig)
    return out


class _Costs:
    """Token counts per block, memoised by (kind, path, blob) in memory and on disk."""

    def __init__(self, rmap: RepoMap, count: Callable[[str], int], tokenizer_id: str | None):
        self.rmap, self.count, self.tid = rmap, count, tokenizer_id
        self.memo: dict[str, int] = {}
        self.fresh: dict[str, int] = {}

    def key(self, kind: str, entry: FileEntry) -> str:
        return f"{self.tid}|{PACK_VERSION}|{kind}|{entry.path}|{entry.blob}"

    def preload(self, entries: list[FileEntry]) -> None:
        if self.tid:
            keys = [self.key(k, e) for e in entries for k in ("full", "sig")]
            self.memo.update(self.rmap.cache.tokens(keys))

    def of(self, kind: str, entry: FileEntry, block: Callable[[], str]) -> int:
        """Tokens of the block; ``kind`` must name everything besides the blob it depends on."""
        key = self.key(kind, entry)
        if key not in self.memo:
            self.memo[key] = self.fresh[key] = self.count(block())
        return self.memo[key]

    def save(self) -> None:
        if self.tid and self.fresh:
            self.rmap.cache.put_tokens(self.fresh)


def _read(repo: Path, entry: FileEntry) -> str:
    return (repo / entry.path).read_bytes().decode("utf-8", "replace")


QUOTE_MIN_CHARS = 200  # shorter texts can sit in a goal by chance (a one-line file, a heading)


def _quoted_in_goal(repo: Path, entries: dict[str, FileEntry], goal: str) -> set[str]:
    """Files whose whole text the goal already holds (instructions pasted in as the goal): the
    prompt carries the goal anyway, and on a CPU every prompt token costs time."""
    found = set()
    for p, e in entries.items():
        if QUOTE_MIN_CHARS <= e.size <= len(goal.encode()):
            text = _read(repo, e).strip()
            if len(text) >= QUOTE_MIN_CHARS and text in goal:
                found.add(p)
    return found


def pack_repository(
    repo: Path,
    goal: str,
    budget_tokens: int,
    count_tokens: Callable[[str], int],
    *,
    rules: ScanRules | None = None,
    tokenizer_id: str | None = None,
    use_disk_cache: bool = True,
    workers: int | None = None,
) -> PackedContext:
    """Pack ``repo`` for ``goal`` into at most ``budget_tokens`` tokens; same input, same bytes.

    ``tokenizer_id`` (default: see ``tokenizer_identity``) lets token counts be cached on disk;
    without one they are cached for this call only.
    """
    t0 = time.perf_counter()
    rmap = build_repo_map(Path(repo), rules, use_disk_cache=use_disk_cache, workers=workers)
    try:
        return _pack(rmap, goal, budget_tokens, count_tokens,
                     tokenizer_id or tokenizer_identity(count_tokens), t0)
    finally:
        rmap.cache.close()


def tokenizer_identity(count_tokens: Callable[[str], int]) -> str | None:
    """A stable name for the tokenizer behind ``count_tokens``, if one can be told.

    A counter's own ``tokenizer_id``, else for a model's bound ``count_tokens`` method the
    model's class and name (``LlamaModel:qwen2.5-coder-1.5b``), so runs share cached counts.
    """
    explicit = getattr(count_tokens, "tokenizer_id", None)
    if isinstance(explicit, str):
        return explicit
    owner = getattr(count_tokens, "__self__", None)
    name = getattr(owner, "name", None)
    return f"{type(owner).__name__}:{name}" if isinstance(name, str) and name else None


def _pack(
    rmap: RepoMap, goal: str, budget: int, count: Callable[[str], int],
    tokenizer_id: str | None, t0: float,
) -> PackedContext:
    repo = rmap.root
    left: dict[str, str] = {f.path: f.skip for f in rmap.files if f.skip}
    entries = {f.path: f for f in rmap.packable()}
    ranking = rank(symbol_graph(rmap), goal)
    for p in _quoted_in_goal(repo, entries, goal):
        del entries[p]
        left[p] = "quoted whole by the goal"
    ranking.files = [p for p in ranking.files if p in entries]
    rmap.preload_outlines(ranking.files[:PRELOAD])
    t_map = time.perf_counter()
    costs = _Costs(rmap, count, tokenizer_id)
    costs.preload(list(entries.values()))

    def full_cost(p: str, room: int) -> int | None:
        e = entries[p]
        if e.size > room * BYTES_PER_TOKEN_CEILING:
            return None
        return costs.of("full", e, lambda: _full_block(p, _read(repo, e)))

    sig_lines: dict[str, list[str]] = {}

    per_file = max(int(budget * SIG_FILE_SHARE), 8 * MIN_ROOM)

    def sig_cost(p: str, room: int) -> int | None:
        """Tokens of ``p``'s signatures; a file with many shows only its best-ranked ones."""
        syms = rmap.outline(p)
        if not syms or not syms["defs"]:
            return None
        sig_lines[p] = _signatures(syms["defs"])
        n = costs.of("sig", entries[p], lambda: _signature_block(p, sig_lines[p]))
        limit = min(room, per_file)
        if n <= limit:
            return n
        scores = ranking.symbol_scores(p)
        best = sorted({d[0] for d in syms["defs"]}, key=lambda n: (-scores.get(n, 0.0), n))
        for keep in TOP_SIGNATURES:
            sig_lines[p] = _signatures(syms["defs"], set(best[:keep]))
            block = _signature_block(p, sig_lines[p])
            variant = hashlib.sha1(block.encode()).hexdigest()[:16]  # goal-dependent choice
            n = costs.of(f"sig-{variant}", entries[p], lambda b=block: b)  # type: ignore[misc]
            if n <= limit:
                break
        return n

    full, sigs, listed, cost = _choose(ranking, budget, full_cost, sig_cost, count)
    while True:
        text = _render(repo, full, sigs, listed, sig_lines, entries)
        total = count(text)
        if total <= budget or not (full or sigs or listed):
            break
        _drop_last(full, sigs, listed)  # block counts did not add up exactly: shed the tail
    costs.save()
    for p in ranking.files:
        if p not in full and p not in sigs:
            left[p] = "listed by name only (over budget)" if p in listed else "over budget"
    notes = {p: e.note for p, e in entries.items() if e.note and (p in full or p in sigs)}
    for p in full + sigs:
        syms = rmap.outline(p)
        if syms and syms["error"]:
            notes[p] = "; ".join(filter(None, [notes.get(p, ""), syms["error"]]))
    stats = dict(rmap.stats, map_seconds=t_map - t0, seconds=time.perf_counter() - t0)
    return PackedContext(
        text, total, full, sigs, dict(sorted(left.items())), listed,
        {p: cost[p] for p in full + sigs}, dict(sorted(notes.items())), stats,
    )


def _choose(
    ranking: Ranking, budget: int, full_cost: Callable[[str, int], int | None],
    sig_cost: Callable[[str, int], int | None], count: Callable[[str], int],
) -> tuple[list[str], list[str], list[str], dict[str, int]]:
    """Which files go in whole, as signatures, and by name (greedy by rank), and their costs."""
    order = ranking.files
    full: list[str] = []
    cost: dict[str, int] = {}
    used = 0
    fits = _all_fit(order, budget, full_cost)
    cap = budget if fits else int(budget * FULL_SHARE)
    body = budget if fits else budget - int(budget * LIST_SHARE)  # the rest: the name list
    misses = 0
    for p in order:
        if cap - used < MIN_ROOM or misses >= MAX_MISSES:
            break
        c = full_cost(p, cap - used)
        if c is not None and used + c <= cap:
            full.append(p)
            cost[p] = c
            used += c
            misses = 0
        else:
            misses += 1
    sigs: list[str] = []
    in_full = set(full)
    misses = 0
    for p in order:
        if body - used < MIN_ROOM or misses >= MAX_MISSES:
            break
        if p in in_full:
            continue
        c = sig_cost(p, body - used)
        if c is not None and used + c <= body:
            sigs.append(p)
            cost[p] = c
            used += c
            misses = 0
        else:
            misses += 1
    for p in list(sigs):  # leftover budget: upgrade signatures to whole files, best first
        c = full_cost(p, body - used + cost[p])
        if c is not None and used - cost[p] + c <= body:
            sigs.remove(p)
            full.append(p)
            used += c - cost[p]
            cost[p] = c
    listed: list[str] = []
    chosen = set(full) | set(sigs)
    room = budget - used - count(LIST_HEADER)
    for p in order:
        if p in chosen:
            continue
        c = count(p + "\n")
        if c > room:
            break
        listed.append(p)
        room -= c
    rank_of = {p: i for i, p in enumerate(order)}
    return sorted(full, key=rank_of.__getitem__), sigs, listed, cost


def _all_fit(order: list[str], budget: int, full_cost: Callable[[str, int], int | None]) -> bool:
    total = 0
    for p in order:
        c = full_cost(p, budget - total)
        total += budget + 1 if c is None else c
        if total > budget:
            return False
    return True


def _render(
    repo: Path, full: list[str], sigs: list[str], listed: list[str],
    sig_lines: dict[str, list[str]], entries: dict[str, FileEntry],
) -> str:
    parts = [_full_block(p, _read(repo, entries[p])) for p in full]
    parts += [_signature_block(p, sig_lines[p]) for p in sigs]
    if listed:
        parts.append(LIST_HEADER + "".join(p + "\n" for p in listed))
    return "".join(parts)


def _drop_last(full: list[str], sigs: list[str], listed: list[str]) -> None:
    if listed:
        del listed[-max(1, len(listed) // 10):]
    elif sigs:
        sigs.pop()
    else:
        full.pop()
