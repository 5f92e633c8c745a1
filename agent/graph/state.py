"""``RunState``: the one record that flows through the graph.

Plain JSON-friendly dicts and lists, so the SQLite checkpointer stores it as it is and a
resumed run sees exactly what the killed one had.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, Literal, NotRequired, TypedDict


class Stage(TypedDict):
    id: int
    title: str
    intent: str
    files: list[str]
    kind: NotRequired[str]  # a strategy's own label, e.g. "scaffold" or "translate"
    symbols: NotRequired[list[str]]  # functions or types the stage is about, when the strategy knows


Status = Literal["applied", "rejected", "failed", "rolled_back"]


class Outcome(TypedDict):
    stage: int
    title: str
    status: Status
    reason: str
    commit: str
    tests: str
    attempts: int
    metrics: NotRequired[dict[str, Any]]  # the strategy's figures after a stage passed its check


class RunState(TypedDict, total=False):
    run_id: str
    goal: str
    repo: str
    worktree: str
    base_commit: str
    context_digest: str
    context_tokens: int
    test_command: list[str]
    baseline: dict[str, Any]
    stages: list[Stage]
    current: int  # index into stages
    patch: str  # the current stage's proposed patch (unified diff)
    feedback: str  # parse/match errors, test failures or a reviewer's reason, for the next proposal
    attempts: int  # proposals made for the current stage
    repairs_left: int
    revisions_left: int
    retry: bool  # set by verify (a repair) or the gate (a revision): propose the stage again
    verify: dict[str, Any]  # TestReport of the current patch, as a dict
    decision: dict[str, Any]  # the reviewer's answer at the approval gate
    checkpoint: str  # commit of the last good checkpoint
    outcomes: Annotated[list[Outcome], operator.add]
    events: Annotated[list[str], operator.add]
    report: str
