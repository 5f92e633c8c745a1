"""The one interface every model backend implements.

Nodes of the graph talk to a ``ChatModel`` only; embedded llama.cpp, an OpenAI-compatible
endpoint and the scripted replay backend are interchangeable behind it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypedDict

from agent.errors import AgentError


class Message(TypedDict):
    role: str  # "system" | "user" | "assistant"
    content: str


def prompt_too_long(tokens: int, context_length: int) -> AgentError:
    """The error for a prompt the model's context cannot hold, the same for every backend."""
    return AgentError(f"prompt is {tokens} tokens but the context holds {context_length}; "
                      "use a larger --ctx or give the model less context")


ProgressFn = Callable[[str, float], None]
"""Called with (what, fraction 0..1) while a model loads or evaluates a long prompt."""


class ChatModel(Protocol):
    """A chat model that can be asked for a reply constrained by a JSON schema."""

    name: str
    context_length: int

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
        """Return the reply text; with ``schema`` the reply is JSON valid against it. ``grammar``
        (GBNF text, for replies that are not JSON) constrains it where the backend can."""
        ...

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` in this model's own tokenizer."""
        ...
