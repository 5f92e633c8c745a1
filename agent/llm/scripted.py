"""A model that replays recorded replies, for deterministic tests of the graph's logic.

``agent refine --model scripted:replies.json`` replays a JSON list of reply strings in order;
``--record FILE`` with a real model writes such a file. Never a stand-in for the real model in
a feature's only test.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from agent.errors import AgentError, ReplyCutOff
from agent.llm.base import ChatModel, Message, prompt_too_long


class ScriptedModel:
    def __init__(self, replies: list[str], name: str = "scripted", context_length: int = 32768) -> None:
        self.replies = list(replies)
        self.name = name
        self.context_length = context_length
        self.calls: list[list[Message]] = []
        self.reply_limits: list[int] = []  # max_tokens of each call: tests check what was asked
        self.samplings: list[tuple[float, int]] = []  # temperature and seed of each call

    @classmethod
    def from_file(cls, path: Path) -> ScriptedModel:
        try:
            replies = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as err:
            raise AgentError(f"cannot read scripted replies from {path}: {err}") from None
        if not isinstance(replies, list) or not all(isinstance(r, str) for r in replies):
            raise AgentError(f"{path} must hold a JSON list of reply strings")
        return cls(replies, name=f"scripted:{path.name}")

    def complete(
        self,
        messages: list[Message],
        *,
        schema: dict[str, Any] | None = None,
        max_tokens: int = 1024,
        temperature: float = 0.0,
        seed: int = 0,
        grammar: str | None = None,
    ) -> str:
        self.calls.append(messages)
        self.reply_limits.append(max_tokens)
        self.samplings.append((temperature, seed))
        prompt = sum(self.count_tokens(m["content"]) for m in messages)
        if prompt >= self.context_length:  # as a real model refuses a prompt its context cannot hold
            raise prompt_too_long(prompt, self.context_length)
        if not self.replies:
            raise AgentError(f"{self.name} has no recorded reply left for call {len(self.calls)}")
        reply = self.replies.pop(0)
        if self.count_tokens(reply) > max_tokens:  # as a real model stops at its token limit
            cut = reply[: max_tokens * 4]
            raise ReplyCutOff(f"{self.name} reply was cut off after {max_tokens} tokens (max_tokens)", cut)
        return reply

    def count_tokens(self, text: str) -> int:
        """About four characters a token: the scripted model has no tokenizer of its own."""
        return (len(text.encode()) + 3) // 4


class RecordingModel:
    """Wraps a real model and appends each reply to a JSON file that ``ScriptedModel`` replays."""

    def __init__(self, inner: ChatModel, path: Path) -> None:
        self.inner = inner
        self.path = path
        self.name = inner.name
        self.context_length = inner.context_length
        self.replies: list[str] = []

    def complete(self, messages: list[Message], **kwargs: Any) -> str:
        reply = self.inner.complete(messages, **kwargs)
        self.replies.append(reply)
        self.path.write_text(json.dumps(self.replies, indent=1))
        return reply

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)
