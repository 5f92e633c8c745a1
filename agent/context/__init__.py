"""Whole-repository context: scan, parse, rank and pack under a token budget.

The rest of agent calls ``pack_repository`` (the packed text for a goal and budget) and
``call_graph`` (function -> callees, for ordering C-to-Rust stages leaves first).
"""

from agent.context.graph import call_graph
from agent.context.pack import PackedContext, pack_repository
from agent.context.repomap import RepoMap, build_repo_map
from agent.context.scan import ScanRules

__all__ = ["PackedContext", "RepoMap", "ScanRules", "build_repo_map", "call_graph",
           "pack_repository"]
