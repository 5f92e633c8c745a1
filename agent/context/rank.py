"""Rank files and symbols by graph importance, personalised toward what the goal names.

Personalised PageRank over the symbol graph, in numpy (a few dozen sparse mat-vec steps;
no graph library needed). The teleport vector puts most of its mass on files the goal names,
on files whose path words or symbols the goal mentions, and a little on every file, so a
goal that names nothing still ranks by plain importance.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from agent.context.graph import SymbolGraph, pagerank
from agent.context.words import subwords, terms

MENTION_BOOST = 10.0  # edge weight multiplier for names the goal mentions
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PATHLIKE = re.compile(r"[\w./-]+")
BM25_K1, BM25_B = 1.2, 0.75


@dataclass(frozen=True)
class Goal:
    """What a goal names: identifiers as written, lowercase words, and path-like tokens."""

    idents: frozenset[str]
    words: frozenset[str]
    paths: frozenset[str]


def parse_goal(goal: str) -> Goal:
    idents = frozenset(_WORD.findall(goal))
    words = frozenset(w for i in idents for w in terms(i))
    paths = frozenset(t.strip("./") for t in _PATHLIKE.findall(goal) if "." in t or "/" in t)
    return Goal(idents, words, paths)


def personalisation(graph: SymbolGraph, goal: Goal) -> tuple[np.ndarray, set[str]]:
    """Teleport weights per file, and the files the goal names outright.

    Files the goal points at (by path, path words, the symbols they define, or the words they
    use, by BM25) share 90% of the mass; the rest is spread evenly so the graph still decides
    among everything else.
    """
    n = len(graph.paths)
    boost = np.zeros(n)
    named: set[str] = set()
    for i, path in enumerate(graph.paths):
        base = path.rsplit("/", 1)[-1]
        if any(p and (path == p or path.endswith("/" + p) or base == p) for p in goal.paths):
            named.add(path)
            boost[i] += 1000.0
        parts = re.split(r"[/._-]", path)
        path_words = {w for part in parts for w in [part.lower(), *subwords(part)]}
        boost[i] += 20.0 * len(goal.words & path_words)
    exact = np.array([n in goal.idents and len(n) >= 3 for n in graph.names], dtype=float)
    fuzzy = np.array([n.lower() in goal.words for n in graph.names], dtype=float)
    if len(graph.def_path):
        per_exact = np.bincount(graph.def_path, weights=exact[graph.def_name], minlength=n)
        per_fuzzy = np.bincount(graph.def_path, weights=fuzzy[graph.def_name], minlength=n)
        boost += 30.0 * np.minimum(per_exact, 5) + 5.0 * np.minimum(per_fuzzy, 10)
    text = bm25(graph, goal.words)
    if text.max(initial=0.0) > 0:
        boost += 40.0 * text / text.max()
    uniform = np.full(n, 1.0 / n) if n else np.zeros(0)
    if boost.sum() == 0:
        return uniform, named
    return 0.1 * uniform + 0.9 * boost / boost.sum(), named


def bm25(graph: SymbolGraph, words: frozenset[str]) -> np.ndarray:
    """Okapi BM25 of each file's words (identifiers, comments, text) against the goal's words.

    Catches what names cannot: the file a change lands in is often a big user of the API the
    goal talks about (``ssh.c`` for "refuse usernames with control characters"), which
    PageRank, flowing from users to definers, ranks low.
    """
    n = len(graph.paths)
    score = np.zeros(n)
    if not n or not len(graph.word_doc) or not words:
        return score
    avg = max(float(graph.doc_len.mean()), 1.0)
    norm = BM25_K1 * (1 - BM25_B + BM25_B * graph.doc_len / avg)
    for _word, (docs, tf) in sorted(term_postings(graph, words).items(), key=lambda kv: kv[0]):
        idf = np.log1p((n - len(docs) + 0.5) / (len(docs) + 0.5))
        score[docs] += idf * tf * (BM25_K1 + 1) / (tf + norm[docs])
    return score


def term_postings(
    graph: SymbolGraph, words: frozenset[str]
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Word -> (files, uses) over the identifiers whose ``terms`` hold it.

    A term is a piece of the lowercased identifier, so a substring search over all names,
    checked with ``terms``, finds every identifier that holds it.
    """
    lowered = "\n".join(graph.words).lower()
    starts = np.cumsum([0] + [len(x) + 1 for x in graph.words[:-1]])
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for w in words:
        hits = [m.start() for m in re.finditer(re.escape(w), lowered)]
        cands = np.unique(np.searchsorted(starts, hits, side="right") - 1)
        held = [int(k) for k in cands if w in terms(graph.words[k])]
        if not held:
            continue
        docs = np.concatenate([graph.word_doc[graph.word_ptr[k]:graph.word_ptr[k + 1]]
                               for k in held])
        uses = np.concatenate([graph.word_tf[graph.word_ptr[k]:graph.word_ptr[k + 1]]
                               for k in held])
        tf = np.bincount(docs, weights=uses, minlength=len(graph.paths))
        found = np.nonzero(tf)[0]
        out[w] = (found, tf[found])
    return out


@dataclass
class Ranking:
    """Files best first (those the goal names outright lead), with the flow behind the scores."""

    files: list[str]
    file_score: dict[str, float]
    named: set[str]
    graph: SymbolGraph
    flow: np.ndarray  # per edge: rank it carries from user to definer
    _by_dst: tuple[np.ndarray, np.ndarray] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self._index = {p: i for i, p in enumerate(self.graph.paths)}

    def symbol_scores(self, path: str) -> dict[str, float]:
        """Name -> how much rank flows into ``path`` through that name."""
        if self._by_dst is None:  # sort edges by target once; each call is then a slice
            order = np.argsort(self.graph.dst, kind="stable")
            ptr = np.searchsorted(self.graph.dst[order], np.arange(len(self.graph.paths) + 1))
            self._by_dst = (order, ptr)
        order, ptr = self._by_dst
        i = self._index[path]
        edges = order[ptr[i]:ptr[i + 1]]
        sums = np.bincount(self.graph.name[edges], weights=self.flow[edges])
        return {self.graph.names[j]: float(sums[j]) for j in np.nonzero(sums)[0]}



def rank(graph: SymbolGraph, goal: str) -> Ranking:
    """Order the graph's files by personalised PageRank; ties by path."""
    g = parse_goal(goal)
    n = len(graph.paths)
    mentioned = np.array([name in g.idents for name in graph.names], dtype=bool)
    w = graph.weight * np.where(mentioned[graph.name], MENTION_BOOST, 1.0) if n else graph.weight
    teleport, named = personalisation(graph, g)
    if n and not mentioned.any() and np.ptp(teleport) == 0:
        r = graph.base_rank  # nothing to personalise: the goal-free rank, computed once
    else:
        r = pagerank(n, graph.src, graph.dst, w, teleport) if n else np.zeros(0)
    final = r
    if n and np.ptp(teleport) > 0:
        # Lift over plain importance: hubs every file uses (a test base class) rank high for any
        # goal; dividing by their goal-free rank keeps the files this goal actually reaches.
        base = graph.base_rank
        lift = r * np.sqrt(r / np.maximum(base, 1e-300))
        # PageRank moves mass from users to definers, but the file a change lands in is often
        # the one the goal matches directly: count that match as much as the graph's view.
        final = lift / lift.sum() + (teleport - teleport.min())
    score = {p: float(final[i]) for i, p in enumerate(graph.paths)}
    order = sorted(graph.paths, key=lambda p: (p not in named, -score[p], p))
    out = np.bincount(graph.src, weights=w, minlength=n)
    flow = np.divide(r[graph.src] * w, out[graph.src], out=np.zeros_like(w),
                     where=out[graph.src] > 0) if n else w
    return Ranking(order, score, named, graph, flow)
