"""The OpenAI-compatible backend against a real llama-cpp-python server on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from agent.errors import AgentError, ReplyCutOff
from agent.llm.endpoint import EndpointModel
from agent.llm.jsoncheck import parse_reply, schema_errors
from agent.llm.llama import LlamaModel
from agent.llm.runaway import MIN_LINES
from tests.llm.asks import ASK, assert_loop_stopped_early
from tests.llm.asks import STEPS_SCHEMA as SCHEMA
from tests.llm.server import free_port, start_server


@pytest.fixture(scope="module")
def server_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("server") / "server.log"


@pytest.fixture(scope="module")
def server_url(small_model_path: Path, server_log: Path) -> Iterator[str]:
    port = free_port()
    proc = start_server(small_model_path, port, server_log, 2048)
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


@pytest.mark.model
def test_a_streamed_reply_that_loops_is_stopped_as_it_is_written(server_url: str, server_log: Path) -> None:
    model = EndpointModel(server_url, "qwen2.5-coder-0.5b")
    assert_loop_stopped_early(model)
    assert model.complete(ASK, max_tokens=12)  # the server answers the next request
    assert "Disconnected from client" in server_log.read_text()  # and it stopped generating the looped one


class _Scripted(BaseHTTPRequestHandler):
    """Answers every chat completion with ``events`` (server-sent events, one line each), or
    with ``whole`` as one JSON body when set; counts the events the client stayed to read."""

    events: list[str] = []
    whole: dict[str, object] | None = None
    sent = 0

    def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
        self.rfile.read(int(self.headers["Content-Length"]))
        type(self).sent = 0
        self.send_response(200)
        if self.whole is not None:
            body = json.dumps(self.whole).encode()
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        try:
            for event in self.events:
                self.wfile.write(f"data: {event}\n\n".encode())
                self.wfile.flush()
                type(self).sent += 1
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture()
def scripted() -> Iterator[tuple[type[_Scripted], str]]:
    handler = type("Handler", (_Scripted,), {"events": [], "whole": None, "sent": 0})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield handler, f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


def _chunk(text: str) -> str:
    return json.dumps({"choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}]})


def test_streamed_pieces_make_the_reply(scripted: tuple[type[_Scripted], str]) -> None:
    handler, url = scripted
    handler.events = [json.dumps({"choices": [{"delta": {"role": "assistant"}}]}), _chunk("def add(a, b):\n"),
                      _chunk("    return a + b\n"), json.dumps({"choices": [{"delta": {}, "finish_reason": "stop"}]}),
                      "[DONE]"]
    assert EndpointModel(url, "m").complete(ASK) == "def add(a, b):\n    return a + b"


def test_a_looping_stream_is_left_early_and_says_what_repeated(scripted: tuple[type[_Scripted], str]) -> None:
    handler, url = scripted
    # far more than the socket buffers hold (about 18 MB), so the server cannot write them all
    # unless the client reads them all (5,000 fitted in the buffers of a busy machine)
    handler.events = [_chunk(f"if number[{i}] == '0':\n    raise ValueError('no')\n") for i in range(200_000)]
    with pytest.raises(ReplyCutOff, match=r"repeating lines like \"if number\[0\] == '0':\"") as err:
        EndpointModel(url, "m").complete(ASK)
    assert err.value.partial.startswith("if number[0] == '0':")
    assert err.value.partial.count("\n") < 2 * MIN_LINES
    assert handler.sent < 200_000  # the connection was closed while the server still had events to send


def test_a_server_that_does_not_stream_is_read_whole(scripted: tuple[type[_Scripted], str]) -> None:
    handler, url = scripted
    handler.whole = {"choices": [{"message": {"role": "assistant", "content": " x = 1\n"}, "finish_reason": "stop"}]}
    assert EndpointModel(url, "m").complete(ASK) == "x = 1"


def test_an_error_in_the_stream_is_one_line(scripted: tuple[type[_Scripted], str]) -> None:
    handler, url = scripted
    handler.events = [_chunk("x"), json.dumps({"error": {"message": "out of memory\nwhile decoding"}})]
    with pytest.raises(AgentError, match=r"failed while replying: out of memory while decoding; check the server log"):
        EndpointModel(url, "m").complete(ASK)


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
