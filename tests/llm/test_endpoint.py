"""The OpenAI-compatible backend against a real llama-cpp-python server on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.llm.endpoint import EndpointModel
from agent.llm.jsoncheck import parse_reply, schema_errors
from agent.llm.llama import LlamaModel
from tests.llm.asks import ASK
from tests.llm.asks import STEPS_SCHEMA as SCHEMA
from tests.llm.server import free_port, start_server


@pytest.fixture(scope="module")
def server_url(small_model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    proc = start_server(small_model_path, port, tmp_path_factory.mktemp("server") / "server.log", 2048)
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.mark.model
def test_auto_mode_falls_back_to_what_the_server_supports(server_url: str) -> None:
    model = EndpointModel(server_url, "qwen2.5-coder-0.5b")
    reply = model.complete(ASK, schema=SCHEMA, max_tokens=96)
    assert schema_errors(json.loads(reply), SCHEMA) == []
    # llama-cpp-python's server rejects OpenAI json_schema but takes json_object + schema
    assert model.mode_used == "json_object"
    again = model.complete(ASK, schema=SCHEMA, max_tokens=96)
    assert again == reply


@pytest.mark.model
def test_prompt_mode_parses_and_validates(server_url: str) -> None:
    model = EndpointModel(server_url, "qwen2.5-coder-0.5b", structured="prompt")
    reply = model.complete(ASK, schema=SCHEMA, max_tokens=96)
    assert schema_errors(json.loads(reply), SCHEMA) == []
    assert model.mode_used == "prompt"


@pytest.mark.model
def test_plain_reply_and_server_token_count(server_url: str, small_model: LlamaModel) -> None:
    model = EndpointModel(server_url, "qwen2.5-coder-0.5b")
    assert model.complete(ASK, max_tokens=12)
    text = "def add(a, b):\n    return a + b\n"
    assert model.count_tokens(text) == small_model.count_tokens(text)


def test_tolerant_parsing() -> None:
    assert parse_reply('Sure!\n```json\n{"a": 1}\n```\nDone.') == {"a": 1}
    assert parse_reply('Here it is: {"a": [1, 2]} hope that helps') == {"a": [1, 2]}
    with pytest.raises(ValueError, match="invalid JSON"):
        parse_reply('{"a": ')


def test_schema_errors_name_the_problem() -> None:
    assert schema_errors({"steps": ["x"], "risky": False}, SCHEMA) == []
    errors = schema_errors({"steps": [], "risky": "no", "extra": 1}, SCHEMA)
    assert "$.steps: fewer than 1 items" in errors
    assert "$.risky: expected boolean, got str" in errors
    assert "$: unexpected key 'extra'" in errors
    assert schema_errors({"steps": ["x"]}, SCHEMA) == ["$: missing required key 'risky'"]
    assert schema_errors(True, {"type": "integer"}) == ["$: expected integer, got bool"]
