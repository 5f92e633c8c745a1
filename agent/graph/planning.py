"""Asking the model for a plan and for a stage's edits, with bounded re-asks on bad replies."""

from __future__ import annotations

import json
from typing import Any

from agent.edits.search_replace import EDIT_SCHEMA, apply_edits, parse_edits
from agent.errors import ModelReplyError, ReplyCutOff
from agent.graph.services import Services
from agent.graph.state import RunState, Stage
from agent.llm.base import ChatModel, Message
from agent.prompts import render, template


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


def system_message(context: str) -> Message:
    """The shared prefix of every call in a run: instructions, then the packed repository."""
    return {"role": "system", "content": template("system") + context}


def parse_plan(reply: str, max_stages: int) -> list[Stage]:
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
        stages.append(
            Stage(id=i, title=title or intent[:60], intent=intent, files=[f.strip().removeprefix("./") for f in files])
        )
    return stages


CUT_REPLY_SHOWN = 800  # characters of a cut-off reply shown back to the model: enough to see it


def ask(
    model: ChatModel, messages: list[Message], schema: dict[str, Any], tries: int, parse: Any, max_tokens: int,
    temperature: float = 0.0, seed: int = 0,
) -> tuple[Any, int]:
    """Ask until ``parse`` accepts the reply; each failure goes back verbatim. Returns (result, asks).

    ``max_tokens`` is the reply room the settings keep free (``reply_tokens``): a whole-function
    rewrite or a Rust translation cut off at a fixed cap would never parse.
    """
    convo = list(messages)
    last: ModelReplyError | None = None
    for attempt in range(1, tries + 1):
        try:
            reply = model.complete(convo, schema=schema, max_tokens=max_tokens, temperature=temperature, seed=seed)
        except ReplyCutOff as err:  # a runaway reply (often repeating itself) is asked again, shorter
            last, reply = err, err.partial[:CUT_REPLY_SHOWN] + " ..."
        else:
            try:
                return parse(reply), attempt
            except ModelReplyError as err:
                last = err
        if attempt < tries:
            again = ("Reply again with complete, shorter JSON only." if isinstance(last, ReplyCutOff)
                     else "Reply again with corrected JSON only.")
            convo += [
                {"role": "assistant", "content": reply},
                {"role": "user", "content": f"That reply could not be used: {last}. {again}"},
            ]
    assert last is not None
    raise ModelReplyError(f"{last} (after {tries} replies)")


def make_plan(state: RunState, svc: Services, context: str) -> list[Stage]:
    settings = svc.settings
    user = render("plan", goal=state["goal"], max_stages=str(settings.max_stages))
    with svc.busy(f"Planning with {settings.model}"):
        stages, _ = ask(
            svc.model(),
            [system_message(context), {"role": "user", "content": user}],
            plan_schema(settings.max_stages),
            settings.edit_retries + 1,
            lambda r: parse_plan(r, settings.max_stages),
            settings.reply_tokens,
            settings.temperature,
            settings.seed,
        )
    return stages


def _files_block(svc: Services, stage: Stage) -> str:
    parts = []
    for rel in stage["files"]:
        text = svc.worktree.read(rel)
        if text is None:
            parts.append(f"=== {rel} === (does not exist yet)\n")
        else:
            parts.append(f"=== {rel} ===\n{text}{'' if text.endswith(chr(10)) else chr(10)}")
    return "".join(parts)


PREVIOUS_PATCH_CHARS = 3000


def _feedback_block(feedback: str, previous: str) -> str:
    """Why the last attempt failed, and that it is gone: small models otherwise quote the lines
    of their own rejected attempt as if they were in the file."""
    if not feedback:
        return ""
    shown = previous if len(previous) <= PREVIOUS_PATCH_CHARS else previous[:PREVIOUS_PATCH_CHARS] + "...\n"
    attempt = f"It was this patch:\n{shown}" if previous.strip() else ""
    return (
        "\nYour previous attempt at this stage was not kept: the files above are as they were before "
        f"it, so copy search text from them, not from the attempt. {attempt}\n"
        f"Why it was not kept:\n{feedback}\n"
    )


def propose_patch(state: RunState, svc: Services, context: str) -> str:
    """Ask for the current stage's edits and turn them into a patch against the checkpoint."""
    stage = state["stages"][state["current"]]
    feedback = state.get("feedback", "")
    user = render(
        "edit",
        goal=state["goal"],
        stage_number=str(state["current"] + 1),
        stage_count=str(len(state["stages"])),
        title=stage["title"],
        intent=stage["intent"],
        files=_files_block(svc, stage),
        feedback=_feedback_block(feedback, state.get("patch", "")),
    )
    root = svc.worktree.path

    def to_patch(reply: str) -> str:
        contents = apply_edits(root, parse_edits(reply))
        patch = svc.worktree.diff_for(contents)
        if not patch.strip():
            raise ModelReplyError("the edits change nothing; replace the lines that need changing")
        return patch

    with svc.busy(f"Stage {stage['id']}: writing edits with {svc.settings.model}"):
        patch, _ = ask(
            svc.model(),
            [system_message(context), {"role": "user", "content": user}],
            EDIT_SCHEMA,
            svc.settings.edit_retries + 1,
            to_patch,
            svc.settings.reply_tokens,
            svc.settings.temperature,
            svc.settings.seed,
        )
    return str(patch)
