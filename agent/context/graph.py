"""The symbol graph (file -> file through names it uses) and the call graph (function -> callees).

The symbol graph feeds ranking; the call graph (C, C++, Python, function pointers included)
lets the C-to-Rust planner order stages leaves first. Names resolve the way a reader would
guess: the same file first, then files it includes or imports, then a name defined exactly
once in the repository.
"""

from __future__ import annotations

import io
import posixpath
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from agent.context.repomap import RepoMap, build_repo_map
from agent.context.scan import ScanRules

CALL_GRAPH_LANGUAGES = frozenset({"c", "cpp", "python"})
NOT_A_SYMBOL = frozenset({"impl"})
_SUFFIXES = {
    "python": ("/__init__.py", ".py", ".pyi"),
    "javascript": (".js", ".mjs", ".jsx", ".ts", ".tsx", "/index.js", "/index.ts"),
    "rust": (".rs", "/mod.rs"),
    "java": (".java",),
}
_SUFFIXES["typescript"] = _SUFFIXES["tsx"] = _SUFFIXES["javascript"]
_WORDY = re.compile(r"[a-z][A-Z]|_")


ALPHA = 0.85
ITERATIONS = 60
TOLERANCE = 1e-7  # L1 change per step; ranks settle well before this
MAX_DEFINERS = 25  # a name defined in more files than this (run, __init__) links nothing
GRAPH_VERSION = 7
IMPORT_NAME = "<import>"
IMPORT_WEIGHT = 2.0


@dataclass
class SymbolGraph:
    """Files (nodes) linked by names: edge k says ``paths[src[k]]`` uses ``names[name[k]]``,
    which ``paths[dst[k]]`` defines, with ``weight[k]``. ``def_path``/``def_name`` list every
    (file, defined name) pair, for matching the goal. Arrays, because big trees have 100k+ edges.
    """

    paths: list[str]
    names: list[str]
    src: np.ndarray
    dst: np.ndarray
    name: np.ndarray
    weight: np.ndarray
    def_path: np.ndarray
    def_name: np.ndarray
    words: list[str]  # every identifier any file uses (comments and strings too)
    word_ptr: np.ndarray  # uses of word k: word_doc/word_tf[word_ptr[k]:word_ptr[k + 1]]
    word_doc: np.ndarray
    word_tf: np.ndarray
    doc_len: np.ndarray  # words per file, for BM25 length normalisation
    base_rank: np.ndarray  # goal-free PageRank, the baseline ranking measures lift against

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        payload: dict[str, np.ndarray] = {
            k: np.frombuffer("\n".join(getattr(self, k)).encode(), dtype=np.uint8)
            for k in TEXTS
        }
        payload.update((k, getattr(self, k)) for k in ARRAYS)
        np.savez(buf, **payload)  # type: ignore[arg-type]
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> SymbolGraph:
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            text = {k: z[k].tobytes().decode().split("\n") if z[k].size else [] for k in TEXTS}
            arrays = {k: z[k] for k in ARRAYS}
        return cls(paths=text["paths"], names=text["names"], words=text["words"], **arrays)


TEXTS = ("paths", "names", "words")
ARRAYS = ("src", "dst", "name", "weight", "def_path", "def_name", "word_ptr", "word_doc",
          "word_tf", "doc_len", "base_rank")


def name_weight(name: str, n_definers: int) -> float:
    """How much a shared name says about two files being related.

    Long compound names (``parse_header``) are specific; ``_private`` names and names many
    files define (``main``, ``__init__``) are not; one or two letters are local variables.
    """
    w = 1.0
    if len(name) >= 8 and _WORDY.search(name):
        w *= 10
    if name.startswith("_"):
        w *= 0.1
    if n_definers > 5:
        w *= 0.1
    if len(name) < 3:
        w *= 0.1
    return w


def symbol_graph(rmap: RepoMap) -> SymbolGraph:
    """The symbol graph of ``rmap``, from the cache when the tree has not changed."""
    key = f"graph:{GRAPH_VERSION}:{rmap.digest()}"
    data = rmap.cache.get(key)
    if data is not None:
        return SymbolGraph.from_bytes(data)
    graph = _build_symbol_graph(rmap)
    rmap.cache.put(key, graph.to_bytes(), replace_prefix="graph:")
    return graph


def _build_symbol_graph(rmap: RepoMap) -> SymbolGraph:
    """One edge per (user file, defining file, name), weighted by sqrt(uses) and specificity."""
    paths = sorted(f.path for f in rmap.packable())
    syms = rmap.all_symbols()
    ids: dict[str, int] = {}
    pairs: set[tuple[int, int]] = set()
    for i, p in enumerate(paths):
        for name, kind, *_ in syms.get(p, {"defs": []})["defs"]:
            if kind not in NOT_A_SYMBOL:
                pairs.add((i, ids.setdefault(name, len(ids))))
    names = sorted(ids, key=ids.__getitem__)
    defs = np.array(sorted(pairs, key=lambda t: (t[1], t[0])), dtype=np.int64).reshape(-1, 2)
    def_path, def_name = defs[:, 0], defs[:, 1]
    n_def = np.bincount(def_name, minlength=len(names))
    ptr = np.concatenate([[0], np.cumsum(n_def)])
    vocab: dict[str, int] = {}  # every identifier any file uses
    r_src: list[int] = []
    r_word: list[int] = []
    r_cnt: list[int] = []
    for i, p in enumerate(paths):
        refs = syms[p]["refs"] if p in syms else {}
        r_src.extend([i] * len(refs))
        r_word.extend([vocab.setdefault(w, len(vocab)) for w in refs])
        r_cnt.extend(refs.values())
    ref_src, ref_word = np.array(r_src, dtype=np.int64), np.array(r_word, dtype=np.int64)
    ref_cnt = np.array(r_cnt, dtype=float)
    name_of_word = np.full(len(vocab), -1, dtype=np.int64)
    for name, j in ids.items():
        if name in vocab:
            name_of_word[vocab[name]] = j
    used = name_of_word[ref_word] >= 0
    src0, name0, cnt0 = ref_src[used], name_of_word[ref_word[used]], ref_cnt[used]
    # A name most files use (assertEqual) says little about any two of them: weight by its
    # inverse document frequency, and split it among the files that define it.
    users = np.bincount(name0, minlength=len(names))
    idf = np.log1p(len(paths) / np.maximum(users, 1))
    keep = n_def[name0] <= MAX_DEFINERS
    src0, name0 = src0[keep], name0[keep]
    w_name = np.array([name_weight(n, int(k)) for n, k in zip(names, n_def, strict=True)])
    w_name = w_name * idf / np.maximum(n_def, 1)
    w0 = w_name[name0] * np.sqrt(cnt0[keep])
    counts = n_def[name0]
    total = int(counts.sum())
    first = np.repeat(np.cumsum(counts) - counts, counts)
    offsets = np.repeat(ptr[name0], counts) + (np.arange(total) - first)
    src, name = np.repeat(src0, counts), np.repeat(name0, counts)
    dst, weight = def_path[offsets], np.repeat(w0, counts)
    index = {p: i for i, p in enumerate(paths)}
    links = [(index[a], index[b]) for a, deps in sorted(resolve_imports(rmap).items())
             for b in sorted(deps)]
    if links:  # an include or import is a link of its own, named IMPORT_NAME
        names.append(IMPORT_NAME)
        pairs_arr = np.array(links, dtype=np.int64)
        src = np.concatenate([src, pairs_arr[:, 0]])
        dst = np.concatenate([dst, pairs_arr[:, 1]])
        name = np.concatenate([name, np.full(len(links), len(names) - 1, dtype=np.int64)])
        weight = np.concatenate([weight, np.full(len(links), IMPORT_WEIGHT)])
    own = src != dst
    src, dst, name, weight = src[own], dst[own], name[own], weight[own]
    n = len(paths)
    base = pagerank(n, src, dst, weight, np.full(n, 1.0 / n)) if n else np.zeros(0)
    return SymbolGraph(paths, names, src, dst, name, weight, def_path, def_name,
                       *_word_index(len(paths), list(vocab), ref_src, ref_word, ref_cnt), base)


def pagerank(
    n: int, src: np.ndarray, dst: np.ndarray, w: np.ndarray, teleport: np.ndarray
) -> np.ndarray:
    """Personalised PageRank; dangling files hand their mass back to the teleport vector."""
    out = np.bincount(src, weights=w, minlength=n)
    norm = np.divide(w, out[src], out=np.zeros_like(w), where=out[src] > 0)
    dangling = out == 0
    r = teleport.copy()
    for _ in range(ITERATIONS):
        flow = np.bincount(dst, weights=norm * r[src], minlength=n)
        nxt = ALPHA * (flow + r[dangling].sum() * teleport) + (1 - ALPHA) * teleport
        done = np.abs(nxt - r).sum() < TOLERANCE
        r = nxt
        if done:
            break
    return r


def _word_index(
    n_files: int, vocab: list[str], ref_src: np.ndarray, ref_word: np.ndarray, ref_cnt: np.ndarray
) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Uses of every identifier per file, grouped by identifier, for BM25 at ranking time.

    Identifiers are not split into search terms here: a big tree has ~200k distinct names but
    a goal only a dozen words, so ranking finds the few names that hold a goal word instead.
    """
    order = np.argsort(ref_word, kind="stable")
    ptr = np.concatenate([[0], np.cumsum(np.bincount(ref_word, minlength=len(vocab)))])
    doc_len = np.bincount(ref_src, weights=ref_cnt, minlength=n_files)
    return (vocab, ptr, ref_src[order].astype(np.int32), ref_cnt[order].astype(np.float32),
            doc_len)


def _suffix_index(paths: list[str]) -> dict[str, list[str]]:
    """Every trailing run of path components (``c.h``, ``b/c.h``, ``a/b/c.h``) -> its paths."""
    by_tail: dict[str, list[str]] = defaultdict(list)
    for p in paths:
        parts = p.split("/")
        for i in range(len(parts)):
            by_tail["/".join(parts[i:])].append(p)
    return by_tail


def resolve_imports(rmap: RepoMap) -> dict[str, set[str]]:
    """File -> repository files it includes or imports (outside ones are dropped)."""
    paths = [f.path for f in rmap.packable()]
    present = set(paths)
    by_tail = _suffix_index(paths)
    out: dict[str, set[str]] = {}
    for src, syms in rmap.all_outlines().items():
        here = posixpath.dirname(src)
        found: set[str] = set()
        for imp in syms["imports"]:
            for cand in _candidates(imp, here, src):
                if cand in present:
                    found.add(cand)
                else:
                    found.update(by_tail.get(cand, ()))
        for dep in list(found):  # a C header's functions are defined in its .c sibling
            stem, dot, ext = dep.rpartition(".")
            if dot and ext in ("h", "hh", "hpp"):
                found.update(stem + s for s in (".c", ".cc", ".cpp") if stem + s in present)
        found.discard(src)
        if found:
            out[src] = found
    return out


def _candidates(imp: str, here: str, src: str) -> list[str]:
    """Paths an import string may name, relative to the repository root."""
    if src.endswith((".c", ".h", ".cc", ".cpp", ".hpp", ".hh", ".cxx")):
        return [posixpath.normpath(posixpath.join(here, imp)), imp]
    if imp.startswith("."):
        if imp.startswith(("./", "../")):  # JS/TS relative module
            base = posixpath.normpath(posixpath.join(here, imp))
            return [base, *(base + s for s in _SUFFIXES["javascript"])]
        dots = len(imp) - len(imp.lstrip("."))  # Python relative import
        base = here
        for _ in range(dots - 1):
            base = posixpath.dirname(base)
        rest = imp.lstrip(".").replace(".", "/")
        stem = posixpath.join(base, rest) if rest else base
        return [stem + s for s in _SUFFIXES["python"]]
    mod = imp.replace("::", "/").replace(".", "/")
    suffixes = _SUFFIXES["python"] + _SUFFIXES["rust"] + _SUFFIXES["java"]
    if src.endswith(".rs") and "/" not in mod:  # `mod foo;` lives next to its parent
        return [posixpath.join(here, mod + s) for s in _SUFFIXES["rust"]]
    return [mod + s for s in suffixes]


def call_graph(
    repo: Path | RepoMap, files: list[str] | None = None, rules: ScanRules | None = None
) -> dict[str, set[str]]:
    """Function -> functions it calls, as ``path::qualified_name`` (C, C++ and Python).

    In C and C++ a function whose name is passed, stored or returned (a function pointer) counts
    as called: it is called through the pointer, and must exist first when porting leaves first.

    Every function defined in ``files`` (default: all) is a key, so leaves map to an empty
    set; calls to functions outside ``files`` or outside the repository are dropped.
    """
    rmap = repo if isinstance(repo, RepoMap) else build_repo_map(Path(repo), rules)
    lang_of = {f.path: f.lang for f in rmap.files}
    chosen = set(files) if files is not None else None
    symbols = rmap.all_outlines()
    funcs: dict[str, dict[str, list[str]]] = {}  # path -> short name -> qualified names
    for path, syms in symbols.items():
        if lang_of.get(path) not in CALL_GRAPH_LANGUAGES or (chosen and path not in chosen):
            continue
        table: dict[str, list[str]] = defaultdict(list)
        for name, kind, _line, scope, _sig in syms["defs"]:
            if kind in ("function", "method"):
                table[name].append(f"{scope}.{name}" if scope else name)
            elif kind == "class":  # calling a class runs its constructor
                table[name].append(f"{name}.__init__")
        funcs[path] = table
    everywhere: dict[str, list[str]] = defaultdict(list)
    for path in sorted(funcs):
        for name, quals in funcs[path].items():
            everywhere[name].extend(f"{path}::{q}" for q in quals)
    imports = resolve_imports(rmap)
    nodes = {f"{p}::{q}" for p, t in funcs.items() for qs in t.values() for q in qs}
    graph: dict[str, set[str]] = {}
    for path in sorted(funcs):
        for owner in sorted({q for qs in funcs[path].values() for q in qs}):
            graph[f"{path}::{owner}"] = set()
        for owner, callees in symbols[path]["calls"].items():
            key = f"{path}::{owner}"
            if key not in nodes:
                continue
            for callee in callees:
                found = _resolve(callee, owner, path, funcs, imports, everywhere)
                graph[key].update(t for t in found if t in nodes)
    return graph


def _resolve(
    callee: str, owner: str, path: str, funcs: dict[str, dict[str, list[str]]],
    imports: dict[str, set[str]], everywhere: dict[str, list[str]],
) -> list[str]:
    local = funcs[path]
    if callee.startswith("&"):  # a function pointer taken: names that are not functions drop out
        callee = callee[1:]
    if callee.startswith("self."):
        name = callee[5:]
        cls = owner.rsplit(".", 1)[0] if "." in owner else ""
        same = [q for q in local.get(name, ()) if q == f"{cls}.{name}"]
        return [f"{path}::{q}" for q in (same or local.get(name, []))]
    if callee.startswith("."):
        hits = everywhere.get(callee[1:], [])
        return hits if len(hits) == 1 else []
    if callee in local:
        top = [q for q in local[callee] if "." not in q or q.endswith(".__init__")]
        return [f"{path}::{q}" for q in (top or local[callee])]
    linked = [
        f"{dep}::{q}" for dep in sorted(imports.get(path, ())) if dep in funcs
        for q in funcs[dep].get(callee, ())
    ]
    if linked:
        return linked
    hits = everywhere.get(callee, [])
    return hits if len(hits) == 1 else []
