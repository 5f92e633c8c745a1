"""Asking the model for a plan and for a stage's edits, with bounded re-asks on bad replies."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from agent.edits.search_replace import EDIT_SCHEMA, apply_edits, parse_edits
from agent.edits.whole_file import apply_whole_files, fits_whole, whole_file_grammar
from agent.errors import ModelReplyError, UnchangedReply
from agent.graph.asking import ask_model
from agent.graph.judge import goal_asks_for_tests, is_test_path, preserves_behaviour
from agent.graph.services import Services
from agent.graph.state import RunState, Stage, digest
from agent.prompts import render


def plan_schema(max_stages: int) -> dict[str, Any]:
    stage = {
        "type": "object",
        "properties": {
            "title": {"type": "string"},
            "intent": {"type": "string"},
            "files": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        },
        "required": ["title", "intent", "files"],
    }
    return {
        "type": "object",
        "properties": {"stages": {"type": "array", "items": stage, "minItems": 1, "maxItems": max_stages}},
        "required": ["stages"],
    }


# A stage that only tests, reviews or tidies: planned only when the goal asks for that.
_SIDE_WORK = re.compile(
    r"^\W*(update|add|write|run|review|verify|check|improve|fix)?\s*(the\s+)?(unit\s+)?"
    r"(tests?|testing|review|refactor\w*|clean\s*-?up|documentation|docs)\b",
    re.I,
)


def _words(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"\w{4,}", text)}


def _side_work(stage: Stage, goal: str) -> bool:
    """A stage that only touches tests, or is titled as testing, reviewing or tidying up while
    its intent shares almost nothing with the goal ("Review and test: check it works")."""
    if goal_asks_for_tests(goal):
        return False
    if all(is_test_path(f) for f in stage["files"]):
        return True
    return (bool(_SIDE_WORK.match(stage["title"])) and len(_words(stage["intent"]) & _words(goal)) < 2
            and not preserves_behaviour(goal) and not re.search(r"clean|document|docs?\b", goal, re.I))


def parse_plan(reply: str, max_stages: int, goal: str = "") -> list[Stage]:
    """The stages of a plan reply; stages the goal did not ask for (only tests, a review, a
    clean-up) are dropped, and test files leave a stage's files unless the goal asks for tests."""
    try:
        data = json.loads(reply)
    except json.JSONDecodeError as err:
        raise ModelReplyError(f"the plan is not valid JSON ({err.msg} at char {err.pos})") from None
    raw = data.get("stages") if isinstance(data, dict) else None
    if not isinstance(raw, list) or not raw:
        raise ModelReplyError('the plan must be an object with a non-empty "stages" list')
    stages: list[Stage] = []
    for i, item in enumerate(raw[:max_stages], 1):
        if not isinstance(item, dict):
            raise ModelReplyError(f"stage {i} of the plan is not an object")
        files = item.get("files")
        if not isinstance(files, list) or not files or not all(isinstance(f, str) and f.strip() for f in files):
            raise ModelReplyError(f'stage {i} of the plan needs a non-empty "files" list of paths')
        title, intent = str(item.get("title", "")).strip(), str(item.get("intent", "")).strip()
        if not intent:
            raise ModelReplyError(f'stage {i} of the plan needs an "intent"')
        paths = [f.strip().removeprefix("./") for f in files]
        stage = Stage(id=len(stages) + 1, title=title or intent[:60], intent=intent, files=paths)
        if _side_work(stage, goal):
            continue
        if not goal_asks_for_tests(goal):
            stage["files"] = [f for f in paths if not is_test_path(f)]
        stages.append(stage)
    if not stages:
        raise ModelReplyError("every stage only tests, reviews or tidies, which the goal does not ask for; "
                              "plan the code change the goal asks for")
    return stages


# Goals that name several changes: a list of two or more items, or clauses joined by "then"
# or by "and" before another change verb. Anything else is one change, so one stage.
_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+\S", re.M)
_JOINED = re.compile(
    r"\b(?:and|then|also)\s+(?:then\s+)?(?:add|remove|delete|rename|move|split|extract|document|validate|update|"
    r"replace|create|convert|translate|write|implement|refactor|introduce|drop|make)\b",
    re.I,
)


def several_changes(goal: str) -> bool:
    return len(_ITEM.findall(goal)) >= 2 or bool(_JOINED.search(goal))


def named_files(goal: str, root: Path) -> list[str]:
    """Files of the repository the goal names by path, in the order it names them (tests only
    when the goal asks for tests)."""
    found = []
    for word in re.findall(r"[\w./-]+\.\w+", goal):
        rel = word.removeprefix("./")
        if rel not in found and (root / rel).is_file() and (goal_asks_for_tests(goal) or not is_test_path(rel)):
            found.append(rel)
    return found


def make_plan(state: RunState, svc: Services, context: str) -> list[Stage]:
    """One stage for a goal that names one change (or starts from failing tests: later stages
    are added only while they make progress); the planner splits only a goal naming several.

    A one-change goal that names its files needs no planner at all: the stage is the goal.
    """
    settings, goal = svc.settings, state["goal"]
    one = not several_changes(goal) or not state.get("baseline", {}).get("ok", True)
    files = named_files(goal, svc.worktree.path) if one else []
    if files:  # the goal itself says what to do; the edit prompt shows it once, as the goal
        return [Stage(id=1, title=f"Change {', '.join(files)}", intent="Make the change the goal asks for.",
                      files=files)]
    most = 1 if one else settings.max_stages
    task = render("plan", goal=goal, max_stages=str(most))
    sampling = {"temperature": settings.temperature, "seed": settings.seed}  # an eval repeat varies both
    stages: list[Stage] = ask_model(svc, {**state, "sampling": sampling}, context, task,
                                    lambda r: parse_plan(r, most, goal), what=f"Planning with {settings.model}",
                                    schema=plan_schema(most))
    return stages


def _files_block(read: Callable[[str], str | None], files: list[str], whole: bool) -> str:
    """The stage's files as ``read`` gives them. For whole-file replies, in the very form the
    reply takes (path, then a fenced block): a small model copies the shown file into its reply
    line for line, where from a differently framed copy it drops lines such as a module docstring."""
    parts = []
    for rel in files:
        text = read(rel)
        if text is None:
            parts.append(f"{rel} (does not exist yet)\n" if whole else f"=== {rel} === (does not exist yet)\n")
            continue
        text += "" if text.endswith("\n") else "\n"
        parts.append(f"{rel}\n```\n{text}```\n\n" if whole else f"=== {rel} ===\n{text}")
    return "".join(parts)


PREVIOUS_PATCH_CHARS = 3000


def _feedback_block(feedback: str, previous: str, repairing: bool, failing: str = "") -> str:
    """Why the last attempt failed. A repair's files already hold the best attempt so far;
    otherwise the attempt is gone, which is said, or small models quote its lines as if they
    were in the file. ``previous`` is shown only when a reviewer's reason is about it. Before
    any attempt, a stage that is there to fix what still fails shows those tests' output
    (``failing``): told only their names, the 1.5B wrote the files back unchanged."""
    if not feedback:
        return f"\nThe tests fail like this on the files above:\n{failing}\n" if failing else ""
    if repairing:
        return ("\nThe files above already hold your best attempt so far at this stage. It is not right yet; "
                f"fix it, starting from the files as shown:\n{feedback}\n")
    shown = previous if len(previous) <= PREVIOUS_PATCH_CHARS else previous[:PREVIOUS_PATCH_CHARS] + "...\n"
    attempt = f"It was this patch:\n{shown}" if previous.strip() else ""
    return (
        "\nYour previous attempt at this stage was not kept: the files above are as they were before "
        f"it, so start from them, not from the attempt. {attempt}\n"
        f"Why it was not kept:\n{feedback}\n"
    )


def _rejected_patch(state: RunState) -> str:
    """The last patch, if a reviewer rejected it: their reason is about it. A failed candidate is
    not shown again; small models shown one write it again, under any seed."""
    patch = state.get("patch", "")
    return patch if patch and digest(patch) in state.get("rejected", []) else ""


def propose_patch(state: RunState, svc: Services, context: str, edit_format: str | None = None) -> str:
    """Ask for the current stage's edits and turn them into a patch against the checkpoint.

    Small files are written whole, in fenced blocks; larger ones as search/replace edits in
    schema-constrained JSON (``edit_format``, the setting unless a strategy names one, fixes one
    or the other). Before a candidate verified, each starts afresh, told why the best one failed.
    Once one verified, edits repair it, shown its test output; whole files are drawn again
    instead: another draw (another seed, warmer) of the stage's first prompt, byte for byte, so
    it costs the reply alone, its prompt already read, and the tests pick the best draw. Shown
    its best attempt and the tests' output, the 1.5B mostly wrote the attempt back; another draw
    more often passed more tests (satellite: 9 of 9 at the third draw, where repairs stayed at 3).
    A stage that follows a red one to fix what still fails asks its first candidate with the
    files as they are and the failing output; its later candidates are draws of the planned
    stage's first prompt (its files as they were then), judged against what passes now.
    """
    stage = state["stages"][state["current"]]
    feedback, repairing = state.get("feedback", ""), bool(state.get("repairing"))
    fmt = edit_format or svc.settings.edit_format
    read = svc.worktree.read_committed if repairing else svc.worktree.read
    whole = fmt == "whole" or (fmt == "auto" and fits_whole([read(f) for f in stage["files"]]))
    rejected = _rejected_patch(state)
    # a reviewer's reason needs the patch it is about: no draw then
    follows = stage.get("follows") if whole and state.get("attempts", 0) > 0 and not rejected else None
    redraw = whole and not rejected and (repairing or follows is not None)
    shown: Callable[[str], str | None] = svc.worktree.read_committed if redraw else svc.worktree.read  # the checkpoint
    if follows is not None:  # the planned stage's task, its files as they were when it was first asked
        asked, number, count = state["stages"][follows], follows + 1, follows + 1
        shown = partial(svc.worktree.read_committed, rev=stage.get("start", "HEAD"))
    else:
        asked, number, count = stage, state["current"] + 1, len(state["stages"])
    failing = "" if follows is not None else stage.get("failing", "")
    user = render(
        "edit_whole" if whole else "edit",
        goal=state["goal"],
        stage_number=str(number),
        stage_count=str(count),
        title=asked["title"],
        intent=asked["intent"],
        files=_files_block(shown, stage["files"], whole),
        feedback=_feedback_block("" if redraw else feedback, rejected, repairing, failing),
    )

    def to_patch(reply: str) -> str:
        contents = (apply_whole_files(shown, reply, stage["files"], state["goal"]) if whole
                    else apply_edits(svc.worktree.path, parse_edits(reply)))
        patch = svc.worktree.diff_for(contents)
        if repairing:  # diff_for leaves HEAD; a re-ask must see the same files as this ask
            svc.worktree.apply(state["patch"])
        if not patch.strip():
            raise UnchangedReply("the edits change nothing; change the code the stage is about")
        return patch

    return str(ask_model(svc, state, context, user, to_patch,
                         what=f"Stage {stage['id']}: writing edits with {svc.settings.model}",
                         schema=None if whole else EDIT_SCHEMA,
                         grammar=whole_file_grammar(stage["files"]) if whole else None))
