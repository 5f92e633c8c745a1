"""Model specs: one parser for every form, and opening what they name."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agent.errors import AgentError
from agent.llm.endpoint import EndpointModel
from agent.llm.llama import LlamaModel
from agent.llm.scripted import ScriptedModel
from agent.llm.spec import ModelSpec, check_model, local_file, open_model, parse_spec
from tests.llm.asks import ASK
from tests.llm.server import free_port


def test_every_form_of_spec_is_told_apart(tmp_path: Path) -> None:
    existing = tmp_path / "weights.bin"
    existing.write_bytes(b"GGUF")
    assert parse_spec("qwen2.5-coder-0.5b") == ModelSpec("bundled", "qwen2.5-coder-0.5b")
    assert parse_spec("models/x.gguf") == ModelSpec("file", "models/x.gguf")
    assert parse_spec(str(existing)) == ModelSpec("file", str(existing))
    assert parse_spec("hf:owner/repo/m.gguf") == ModelSpec("hf", "owner/repo/m.gguf")
    assert parse_spec("http://127.0.0.1:8080/v1#coder") == ModelSpec("endpoint", "http://127.0.0.1:8080/v1", "coder")
    assert parse_spec("https://host/v1") == ModelSpec("endpoint", "https://host/v1", "default")
    assert parse_spec("scripted:replies.json") == ModelSpec("scripted", "replies.json")


def test_unknown_name_lists_known_models() -> None:
    with pytest.raises(AgentError) as err:
        parse_spec("gpt-5")
    message = str(err.value)
    assert "\n" not in message
    assert "qwen2.5-coder-0.5b" in message and "qwen2.5-coder-1.5b" in message
    with pytest.raises(AgentError, match="use scripted:FILE"):
        parse_spec("scripted:")


def test_missing_gguf_path_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(AgentError, match="not found"):
        local_file(parse_spec(str(tmp_path / "nope.gguf")))
    with pytest.raises(AgentError, match="not found"):
        check_model(str(tmp_path / "nope.gguf"), 2048)


def test_existing_path_resolves_to_itself(tmp_path: Path) -> None:
    target = tmp_path / "m.gguf"
    target.write_bytes(b"GGUF")
    assert local_file(parse_spec(str(target))) == target


def test_scripted_and_endpoint_open_without_a_file(tmp_path: Path) -> None:
    replies = tmp_path / "replies.json"
    replies.write_text(json.dumps(["one"]))
    scripted = open_model(f"scripted:{replies}", 4096)
    assert isinstance(scripted, ScriptedModel) and scripted.complete(ASK) == "one"
    assert check_model(f"scripted:{replies}", 4096) is None
    assert check_model("http://127.0.0.1:9/v1#m", 4096) is None


def test_unreachable_endpoint_is_one_fast_line() -> None:
    model = open_model(f"http://127.0.0.1:{free_port()}/v1#served-name", n_ctx=2048)
    assert isinstance(model, EndpointModel) and model.name == "served-name"
    start = time.monotonic()
    with pytest.raises(AgentError, match="cannot reach model endpoint") as err:
        model.complete(ASK, max_tokens=4)
    assert "\n" not in str(err.value)
    assert time.monotonic() - start < 5


@pytest.mark.parametrize("env", [{"HF_HUB_OFFLINE": "1"}, {"HF_ENDPOINT": "http://127.0.0.1:9"}])
def test_hf_spec_offline_is_one_fast_line(tmp_path: Path, env: dict[str, str]) -> None:
    """huggingface-hub reads its settings at import, so this runs in a fresh interpreter."""
    code = (
        "from agent.llm.spec import check_model\n"
        "from agent.errors import AgentError\n"
        "try:\n    check_model('hf:someone/repo/model.gguf', 2048)\n"
        "except AgentError as e:\n    print(e)\n"
    )
    full_env = {**os.environ, "HF_HOME": str(tmp_path / "hf"), **env}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=full_env, timeout=20)
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 1 and "unreachable or offline" in lines[0]


@pytest.mark.model
def test_open_a_bundled_model_by_name(small_model_path: Path) -> None:
    assert local_file(parse_spec("qwen2.5-coder-0.5b")) == small_model_path
    model = open_model("qwen2.5-coder-0.5b", n_ctx=1024, persist_prefix=False)
    try:
        assert isinstance(model, LlamaModel)
        assert model.name == "qwen2.5-coder-0.5b"
        assert model.context_length == 1024
        assert model.path == small_model_path
    finally:
        model.close()


@pytest.mark.model
def test_a_context_that_does_not_fit_is_refused_before_loading(small_model_path: Path) -> None:
    with pytest.raises(AgentError, match="--ctx|--kv-cache") as err:
        open_model("qwen2.5-coder-0.5b", n_ctx=1 << 24)
    assert err.value.exit_code in (3, 4)
    with pytest.raises(AgentError, match="KV cache q8_0") as err:
        check_model(str(small_model_path), 1 << 24, kv_type="q8_0")
    assert "\n" not in str(err.value)
