"""Candidates mixed from tested ones, unit by unit: no model call, only a test run each.

Every tested candidate that passes a test is kept as a donor: its Python stage files as it
wrote them and the tests it passed (across the run's stages, since a stage that fixes what
still fails starts from one of them). Whenever a donor passes a test the base does not (the
best candidate that verified, else the checkpoint), each of the donor's functions, methods,
classes and constants that differ goes into the base on its own, as a queued candidate
(``edits/crossover``). A mix costs a sandbox run (seconds), where a draw from the 1.5B costs a
reply (20-35 s on one core), and it can keep what the base passes while taking what the donor
fixes, which a whole new draw must get right all at once.
"""

from __future__ import annotations

from typing import Any

from agent.edits.crossover import mixes
from agent.errors import AgentError
from agent.graph.judge import passed
from agent.graph.services import Services
from agent.graph.state import RunState, digest

MOST_DONORS = 6  # the latest ones; each gives at most as many mixes as it has units
MOST_MIXES = 12  # mixes tested per stage: beyond that, the stage's time goes to the model


def _files(svc: Services, checkpoint: str, patch: str, files: list[str]) -> dict[str, str]:
    """The Python ``files`` as ``patch`` leaves them on ``checkpoint`` (the worktree ends there)."""
    svc.worktree.reset(checkpoint)
    try:
        if patch:
            svc.worktree.apply(patch)
        return {f: text for f in files if f.endswith(".py") and (text := svc.worktree.read(f)) is not None}
    finally:
        svc.worktree.reset(checkpoint)


def with_donor(state: RunState, svc: Services, patch: str, tests: dict[str, Any], attempt: int) -> list[dict[str, Any]]:
    """The run's donors with this tested candidate among them, when it passed a test."""
    donors = list(state.get("donors", []))
    won = sorted(passed(tests))
    stage = state["stages"][state["current"]]
    if not won:
        return donors
    try:
        files = _files(svc, state["checkpoint"], patch, stage["files"])
    except AgentError:
        return donors
    if not files or any(d["files"] == files for d in donors):
        return donors
    name = f"stage {state['current'] + 1} candidate {attempt}"
    return [*donors, {"files": files, "passed": won, "name": name}][-MOST_DONORS:]


def queue(state: RunState, svc: Services, best: dict[str, Any], donors: list[dict[str, Any]],
          tried: list[str]) -> list[dict[str, str]]:
    """The mixes still to test: each donor's differing units, one at a time, in the base.

    Donors that pass more tests the base fails come first."""
    room = MOST_MIXES - state.get("crossed", 0)
    if room <= 0:
        return []
    stage = state["stages"][state["current"]]
    base_ok = bool(best) and best["verdict"]["ok"]
    base_patch = best["patch"] if base_ok else ""
    base_passed = passed(best["verify"] if base_ok else state["reference"])
    useful = [d for d in donors if set(d["passed"]) - base_passed]
    if not useful:
        return []
    try:
        base = _files(svc, state["checkpoint"], base_patch, stage["files"])
    except AgentError:
        return []
    done = set(tried)
    found: list[dict[str, str]] = []
    for donor in sorted(useful, key=lambda d: -len(set(d["passed"]) - base_passed)):
        gained = [t.rsplit("::", 1)[-1].lower() for t in set(donor["passed"]) - base_passed]  # the test's own name
        for rel, text in donor["files"].items():
            if rel not in base:
                continue
            # units the donor's newly passing tests name come first (test_mul: mul)
            named = sorted(mixes(base[rel], text), key=lambda m: -sum(_short(m[0]) in t for t in gained))
            for unit, mixed in named:
                patch = svc.worktree.diff_for({**base, rel: mixed})
                if patch.strip() and digest(patch) not in done:
                    done.add(digest(patch))
                    found.append({"patch": patch, "what": f"{unit} from {donor['name']}"})
                    if len(found) >= room:
                        return found
    return found


def _short(unit: str) -> str:
    """A unit's own name, as a test's name would carry it: ``C.add_student`` -> ``add_student``."""
    return unit.rsplit(".", 1)[-1].strip("_").lower() or unit
