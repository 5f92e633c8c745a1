"""Words of identifiers and goals, shared by the graph (file terms) and ranking (goal terms)."""

from __future__ import annotations

import re
from functools import lru_cache

_SPLIT = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
MIN_WORD = 3
STOPWORDS = frozenset(
    "the and for with from into that this not are was were use add fix make when then than "
    "also only all any can should must will new old its their them more less get set via per "
    "each which what where how why who out off but has have had been being does did done "
    "support allow remove update change test tests file files code".split()
)


def subwords(name: str) -> list[str]:
    """``parseHTTPHeader_v2`` -> ``parse http header v 2`` (lowercase), for fuzzy matching."""
    return [w.lower() for w in _SPLIT.findall(name)]


@lru_cache(maxsize=200_000)
def terms(ident: str) -> tuple[str, ...]:
    """Search terms of an identifier: itself and its subwords, lowercase, 3+ letters."""
    return tuple({w for w in (ident.lower(), *subwords(ident))
                  if len(w) >= MIN_WORD and w not in STOPWORDS})
