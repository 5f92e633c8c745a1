"""The one place a run asks its model for something.

Every call has the same shape: the run's shared prefix first (instructions, then the packed
repository, byte-identical in every call, so the model's prefix cache reuses it), then the task,
and re-asks while the reply does not parse, each failure going back to the model with why (as
much of the failed reply as the context holds).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from agent.errors import ModelReplyError, ReplyCutOff, UnchangedReply
from agent.graph.services import Services
from agent.graph.state import RunState
from agent.llm.base import ChatModel, Message
from agent.prompts import template

CUT_REPLY_SHOWN = 800  # characters of a cut-off reply shown back to the model: enough to see it
PROMPT_OVERHEAD = 64  # tokens the chat template adds around the messages
_BLOCK = re.compile(r"(?m)^(?==== )")  # the packed repository's blocks: "=== path ===" and its text


def system_message(context: str) -> Message:
    """The shared prefix of every call in a run: instructions, then the packed repository."""
    return {"role": "system", "content": template("system") + context}


def fit_context(context: str, room: int, count: Callable[[str], int]) -> str:
    """The packed repository cut to ``room`` tokens, whole blocks from its end (the least
    relevant files) first. The pack leaves a fixed room for the task; a long goal, large stage
    files or long test output can need more, and the prompt must still fit the model's context."""
    if count(context) <= room:
        return context
    blocks = _BLOCK.split(context)
    sizes = [count(b) for b in blocks]
    left_out = 0
    while blocks:
        note = f"=== {left_out} more file block(s) left out to fit the prompt ===\n" if left_out else ""
        if sum(sizes) + count(note) <= room and count("".join(blocks) + note) <= room:
            return "".join(blocks) + note
        blocks.pop()
        sizes.pop()
        left_out += 1
    return ""


def _room(model: ChatModel, reply: int, task: str) -> int:
    """Tokens the repository may take beside ``task``: the context less the reply's room, the
    prompts and what the chat template adds around them."""
    return model.context_length - reply - model.count_tokens(template("system") + task) - PROMPT_OVERHEAD


def overflow(svc: Services, task: str) -> str:
    """Why ``task`` cannot be asked at all, or '': with the room kept for the reply it overflows
    the model's context. The repository around it is cut to fit; the task itself cannot be (a
    C test program of 4,700 lines, http-parser's, in a port of the tests)."""
    model, reply = svc.model(), svc.settings.reply_tokens
    room = _room(model, reply, task)
    if room >= 0:
        return ""
    return (f"the prompt is {model.context_length - reply - room} tokens, which with the {reply} kept for the "
            f"reply (reply_tokens) overflows the model's context ({model.context_length})")


def ask_model(
    svc: Services, state: RunState, context: str, task: str, parse: Callable[[str], Any], *, what: str,
    schema: dict[str, Any] | None = None, grammar: str | None = None,
) -> Any:
    """Ask the run's model for ``task`` until ``parse`` accepts a reply; ``what`` is the live
    status shown meanwhile. A proposal's ``sampling`` (temperature, seed) comes from the state;
    the settings give the re-asks (``edit_retries``) and the reply's room (``reply_tokens``)."""
    model, reply = svc.model(), svc.settings.reply_tokens
    room = _room(model, reply, task)
    system = system_message(fit_context(context, room, model.count_tokens))
    with svc.busy(what):
        result, _ = ask(model, [system, {"role": "user", "content": task}], schema,
                        svc.settings.edit_retries + 1, parse, reply, state.get("sampling"), grammar)
    return result


def shown_back(model: ChatModel, convo: list[Message], reply: str, note: str, max_tokens: int) -> str | None:
    """The failed ``reply`` as the re-ask shows it: whole when the conversation, it and ``note``
    still leave the next reply its ``max_tokens``, else its start; None when even without it the
    re-ask would not fit the context. A reply that filled the room the prompt left, shown back
    whole beside cargo's errors, made the re-ask longer than the context itself (the 0.5B's port
    of c-mathlib's tests: 4,187 tokens in a context of 4,096), and the stage failed."""
    count = model.count_tokens
    used = PROMPT_OVERHEAD + count(note) + sum(count(m["content"]) for m in convo)
    if used + count(" ...") >= model.context_length:
        return None
    room = model.context_length - max_tokens - used
    if count(reply) <= room:
        return reply
    cut = reply[: max(room, 0) * 4]
    while cut and count(cut + " ...") > room:
        cut = cut[: len(cut) * 3 // 4]
    return cut + " ..."


def ask(
    model: ChatModel, messages: list[Message], schema: dict[str, Any] | None, tries: int,
    parse: Callable[[str], Any], max_tokens: int, sampling: dict[str, Any] | None = None,
    grammar: str | None = None,
) -> tuple[Any, int]:
    """Ask until ``parse`` accepts the reply; each failure goes back with why (``shown_back``),
    except a reply that changes nothing (``UnchangedReply``), which is raised at once. Returns
    (result, asks).

    ``max_tokens`` is the reply room the settings keep free (``reply_tokens``): a whole-function
    rewrite or a Rust translation cut off at a fixed cap would never parse. ``sampling`` holds
    the temperature and seed of this proposal (a candidate after the first is sampled);
    ``grammar`` constrains a reply that is not JSON (GBNF).
    """
    convo = list(messages)
    last: ModelReplyError | None = None
    form = "JSON" if schema is not None else "files in fenced code blocks"
    for attempt in range(1, tries + 1):
        try:
            reply = model.complete(convo, schema=schema, max_tokens=max_tokens, grammar=grammar, **(sampling or {}))
        except ReplyCutOff as err:  # a runaway reply (often repeating itself) is asked again, shorter
            last, reply = err, err.partial[:CUT_REPLY_SHOWN] + " ..."
        else:
            try:
                return parse(reply), attempt
            except UnchangedReply:
                raise
            except ModelReplyError as err:
                last = err
        if attempt < tries:
            again = (f"Reply again with complete, shorter {form} only." if isinstance(last, ReplyCutOff)
                     else f"Reply again with corrected {form} only.")
            note = f"That reply could not be used: {last}. {again}"
            shown = shown_back(model, convo, reply, note, max_tokens)
            if shown is None:
                raise ModelReplyError(f"{last} (after {attempt} replies; the context has no room to ask again)")
            convo += [{"role": "assistant", "content": shown}, {"role": "user", "content": note}]
    assert last is not None
    raise ModelReplyError(f"{last} (after {tries} replies)")
