"""``RunState``: the one record that flows through the graph.

Plain JSON-friendly dicts and lists, so the SQLite checkpointer stores it as it is and a
resumed run sees exactly what the killed one had.
"""

from __future__ import annotations

import hashlib
import operator
from typing import Annotated, Any, Literal, NotRequired, TypedDict


class Stage(TypedDict):
    id: int
    title: str
    intent: str
    files: list[str]
    kind: NotRequired[str]  # a strategy's own label, e.g. "scaffold" or "translate"
    symbols: NotRequired[list[str]]  # functions or types the stage is about, when the strategy knows
    tests_editable: NotRequired[bool]  # a strategy's own stage that must rewrite tests (C tests to Rust)
    failing: NotRequired[str]  # the test output the stage starts from, when it is there to fix what still fails
    follows: NotRequired[int]  # for such a stage, the planned stage it goes on from (an index) ...
    start: NotRequired[str]  # ... and the commit that one started from: its prompt is drawn again


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
    baseline: dict[str, Any]  # TestReport of the base commit, as a dict
    reference: dict[str, Any]  # TestReport of the last good checkpoint: what a stage is judged against
    stages: list[Stage]
    current: int  # index into stages
    candidate: str  # the patch just proposed, before it is tested
    candidate_error: str  # why the model's last reply gave no candidate, for the next proposal
    sampling: dict[str, Any]  # temperature and seed of the current proposal
    patch: str  # the best candidate so far (unified diff): what repairs start from and the gate shows
    repairing: bool  # the next proposal starts from ``patch`` applied, with its test output as feedback
    best: dict[str, Any]  # the best candidate's verdict and attempt, {} before one was tested
    tried: list[str]  # SHA-256 of every candidate of the current stage: an identical one is not tested again
    rejected: list[str]  # SHA-256 of every patch a reviewer rejected: never shown again
    spent: float  # seconds the current stage's search has taken (its budget: stage_seconds)
    feedback: str  # parse/match errors, test failures or a reviewer's reason, for the next proposal
    attempts: int  # proposals made for the current stage
    repeats: int  # of those, ones identical to an earlier candidate: untested, not counted as candidates
    crossed: int  # of those, mixes of tested candidates (no model call): not counted as candidates either
    mixes: list[dict[str, str]]  # mixes still to test, each {"patch", "what"}: proposed before the model is asked
    donors: list[dict[str, Any]]  # the run's tested candidates that passed a test: their files and those tests
    revisions_left: int
    retry: bool  # set by verify (search on) or the gate (a revision): propose the stage again
    verify: dict[str, Any]  # TestReport of the best candidate, as a dict, with its "verdict"
    decision: dict[str, Any]  # the reviewer's answer at the approval gate
    checkpoint: str  # commit of the last good checkpoint
    outcomes: Annotated[list[Outcome], operator.add]
    events: Annotated[list[str], operator.add]
    report: str


def digest(text: str) -> str:
    """SHA-256 of a patch: how ``tried`` and ``rejected`` name the patches they hold."""
    return hashlib.sha256(text.encode()).hexdigest()
