"""A model behind an OpenAI-compatible HTTP endpoint (llama-server, llama-cpp-python's server,
vLLM, Ollama, a hosted API).

Servers differ in how they constrain output, so the structured mode is found by trying, best
first, and remembered: OpenAI ``json_schema``; the ``json_object`` + ``schema`` form that
llama-cpp-python's server accepts; and, when neither is supported, the schema in the prompt
with tolerant parsing, validation, and retries that show the model its error. Plain replies
(code) are streamed, so one that falls into a loop is stopped as it is written, as on the
embedded backend: the connection is closed and the server stops generating.
"""

from __future__ import annotations

import json
import math
import os
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.client import HTTPResponse
from typing import Any

from agent.errors import AgentError, ModelReplyError
from agent.llm.base import Message
from agent.llm.jsoncheck import parse_reply, schema_errors
from agent.llm.runaway import loop_cut_off, looping

MODES = ("json_schema", "json_object", "prompt")
RETRIES = 2


class EndpointModel:
    """A ``ChatModel`` that calls ``POST {base_url}/chat/completions``."""

    def __init__(
        self, base_url: str, model: str, *, context_length: int = 8192,
        api_key: str | None = None, timeout: float = 600.0, structured: str = "auto",
    ) -> None:
        if structured != "auto" and structured not in MODES:
            raise AgentError(
                f"unknown structured mode '{structured}'; use auto or {', '.join(MODES)}"
            )
        self.base_url = base_url.rstrip("/")
        self.name = model
        self.context_length = context_length
        self.timeout = timeout
        self._api_key = api_key or os.environ.get("AGENT_ENDPOINT_API_KEY")
        self._modes = list(MODES) if structured == "auto" else [structured]
        self.mode_used = ""
        """The structured mode the last schema reply went through."""

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
        """Reply to ``messages``; with ``schema`` the reply is JSON valid against it. ``grammar``
        is not sent: OpenAI-compatible servers differ on it, and such replies are parsed leniently."""
        body: dict[str, Any] = {
            "model": self.name, "messages": list(messages), "max_tokens": max_tokens,
            "temperature": temperature, "seed": seed,
        }
        while True:
            mode = self._modes[0]
            try:
                if schema is None:
                    return self._streamed(body)
                return self._structured(mode, body, schema)
            except _Unsupported as exc:
                if schema is None or len(self._modes) == 1:
                    raise AgentError(
                        f"model endpoint {self.base_url} rejected the request: "
                        f"{' '.join(str(exc).split())[:160]}; check the URL and model name"
                    ) from None
                self._modes.pop(0)  # this server lacks the mode: remembered for the next call

    def count_tokens(self, text: str) -> int:
        """The server's own count when it offers one, else an estimate of 1 token per 3 chars
        (deliberately high so context budgets stay safe)."""
        for path, payload, pick in (
            ("/extras/tokenize/count", {"input": text}, lambda r: r["count"]),  # llama-cpp-python
            ("/tokenize", {"content": text}, lambda r: len(r["tokens"])),  # llama.cpp server
        ):
            try:
                return int(pick(self._post(path, payload, root=True)))
            except (_Unsupported, KeyError, TypeError, ValueError):
                continue
        return math.ceil(len(text) / 3)

    def _structured(self, mode: str, body: dict[str, Any], schema: dict[str, Any]) -> str:
        request = dict(body)
        if mode == "json_schema":
            request["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "reply", "schema": schema, "strict": True},
            }
        elif mode == "json_object":
            request["response_format"] = {"type": "json_object", "schema": schema}
        else:
            request["messages"] = [*body["messages"], {"role": "user", "content": (
                "Reply with only JSON, no prose, shaped like this example (fill in real "
                f"values): {json.dumps(_example(schema))}\nIt must satisfy this JSON Schema: "
                + json.dumps(schema))}]
        problem = ""
        for _ in range(RETRIES + 1):
            text = self._reply(self._post("/chat/completions", request))
            try:
                value = parse_reply(text)
                errors = schema_errors(value, schema)
            except ValueError as exc:
                errors = [str(exc)]
            if not errors:
                self.mode_used = mode
                return json.dumps(value)
            problem = "; ".join(errors[:5])
            request["messages"] = [*request["messages"], {"role": "assistant", "content": text},
                                   {"role": "user", "content": f"That reply was not valid: "
                                    f"{problem}. Reply again with only the corrected JSON."}]
        raise ModelReplyError(
            f"{self.name} at {self.base_url} gave no valid JSON after {RETRIES + 1} tries "
            f"({problem}); try a stronger model"
        )

    def _streamed(self, body: dict[str, Any]) -> str:
        """A plain reply read as the server writes it (server-sent events), stopped once it loops.
        A server that answers the whole reply at once instead is read as such."""
        with self._open("/chat/completions", {**body, "stream": True}) as resp:
            if "text/event-stream" not in resp.headers.get("Content-Type", ""):
                return self._reply(self._json(resp.read()))
            text = ""
            for raw in resp:
                line = raw.decode("utf-8", errors="replace").strip()
                if not line.startswith("data:") or line == "data: [DONE]":
                    continue
                piece = _delta(self._json(line.removeprefix("data:").encode()), self.base_url)
                text += piece
                if "\n" in piece and (loop := looping(text)):
                    raise loop_cut_off(self.name, loop, text.strip())  # leaving closes the connection
        return self._said(text)

    def _reply(self, response: dict[str, Any]) -> str:
        try:
            choice = response["choices"][0]
            text = (choice["message"].get("content") or "").strip()
        except (KeyError, IndexError, TypeError, AttributeError):
            raise ModelReplyError(
                f"{self.base_url} answered without a chat completion; is it OpenAI-compatible?"
            ) from None
        return self._said(text)

    def _said(self, text: str) -> str:
        """A reply's text without surrounding blanks; a reply with none is an error, however it came."""
        if not text.strip():
            raise ModelReplyError(f"{self.name} gave an empty reply; retry or use a larger model")
        return text.strip()

    def _post(self, path: str, payload: dict[str, Any], *, root: bool = False) -> dict[str, Any]:
        with self._open(path, payload, root=root) as resp:
            return self._json(resp.read())

    def _json(self, data: bytes) -> dict[str, Any]:
        try:
            value = json.loads(data)
        except json.JSONDecodeError:
            raise AgentError(f"model endpoint {self.base_url} did not answer with JSON") from None
        if not isinstance(value, dict):
            raise AgentError(f"model endpoint {self.base_url} did not answer with a JSON object")
        return value

    @contextmanager
    def _open(self, path: str, payload: dict[str, Any], *, root: bool = False) -> Iterator[HTTPResponse]:
        """The server's response to ``payload`` at ``path``, open while the caller reads it;
        what goes wrong on the way (an HTTP error, a dropped connection) is one line."""
        base = self.base_url.removesuffix("/v1") if root else self.base_url  # extras: no /v1
        headers = {"Content-Type": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        req = urllib.request.Request(base + path, json.dumps(payload).encode(), headers)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                yield resp
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", errors="replace")[:300]
            # llama-cpp-python's server reports a rejected response_format as HTTP 500
            if exc.code in (400, 404, 405, 422, 501) or "response_format" in detail:
                raise _Unsupported(detail) from None
            raise AgentError(
                f"model endpoint {self.base_url} answered HTTP {exc.code}: "
                f"{' '.join(detail.split())[:160]}; check the server log"
            ) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise AgentError(
                f"cannot reach model endpoint {self.base_url} ({reason}); start the server or "
                "fix the endpoint URL"
            ) from None


def _delta(event: dict[str, Any], base_url: str) -> str:
    """The text one streamed chunk adds to the reply ('' for a chunk that only ends it)."""
    if "error" in event:
        error = event["error"]
        said = error.get("message", error) if isinstance(error, dict) else error
        raise AgentError(f"model endpoint {base_url} failed while replying: "
                         f"{' '.join(str(said).split())[:160]}; check the server log")
    try:
        return str((event["choices"][0].get("delta") or {}).get("content") or "") if event["choices"] else ""
    except (KeyError, IndexError, TypeError, AttributeError):
        raise ModelReplyError(f"{base_url} streamed a chunk that is not a chat completion; "
                              "is it OpenAI-compatible?") from None


def _example(schema: dict[str, Any]) -> Any:
    """A placeholder instance of ``schema``: small models copy a shape far better than they
    follow a schema (they tend to echo the schema back)."""
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    if schema.get("anyOf"):
        return _example(schema["anyOf"][0])
    kind = schema.get("type")
    kind = kind[0] if isinstance(kind, list) else kind
    if kind == "object" or "properties" in schema:
        return {k: _example(v) for k, v in schema.get("properties", {}).items()}
    if kind == "array":
        return [_example(schema.get("items", {}))]
    return {"string": "...", "boolean": False, "integer": 0, "number": 0, "null": None}.get(
        str(kind), "...")


class _Unsupported(Exception):
    """The server rejected the request shape (not the model's reply)."""
