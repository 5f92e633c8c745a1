"""Path globs as policies use them: ``*`` stays inside one directory, ``**`` crosses them."""

from __future__ import annotations

import posixpath
import re
from functools import lru_cache


@lru_cache(maxsize=512)
def _compile(pattern: str) -> re.Pattern[str]:
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    # Case-insensitive so "Policies/x.yaml" cannot slip past "policies/**" on a
    # case-insensitive filesystem.
    return re.compile("".join(out), re.IGNORECASE | re.DOTALL)


def normalize(path: str) -> str | None:
    """Repository-relative POSIX path, or None when it points outside the repository."""
    clean = posixpath.normpath(path.replace("\\", "/"))
    if clean.startswith("/") or clean == ".." or clean.startswith("../") or clean == ".":
        return None
    return clean


def matches(path: str, patterns: tuple[str, ...] | list[str]) -> bool:
    """Whether a normalized path matches any glob (whole path, not a prefix)."""
    return any(_compile(p).fullmatch(path) for p in patterns)
