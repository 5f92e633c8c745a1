"""The embedded llama.cpp backend: schema-constrained, repeatable, and loud about bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agent.errors import AgentError
from agent.llm.llama import LlamaModel, default_threads, grammar_text, threads_for
from tests.llm.asks import ASK, STEPS_SCHEMA


def test_threads_leave_out_cores_other_work_keeps_busy(monkeypatch: pytest.MonkeyPatch) -> None:
    assert threads_for(2, [3.0, 5.0]) == 2
    assert threads_for(2, [97.0, 4.0]) == 1
    assert threads_for(2, [97.0, 99.0]) == 1  # never none
    assert threads_for(8, [0.0] * 16) == 8  # hyperthreads: physical cores
    monkeypatch.setenv("AGENT_THREADS", "3")
    assert default_threads() == 3
    monkeypatch.setenv("AGENT_THREADS", "many")
    with pytest.raises(AgentError, match="AGENT_THREADS must be a positive integer"):
        default_threads()


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two CPUs")
def test_a_core_kept_busy_by_another_process_is_left_to_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AGENT_THREADS", raising=False)
    cpu = min(os.sched_getaffinity(0))
    spin = subprocess.Popen([sys.executable, "-c", f"import os; os.sched_setaffinity(0, {{{cpu}}})\nwhile True: pass"])
    try:
        time.sleep(0.5)  # let it take the core
        assert default_threads() <= len(os.sched_getaffinity(0)) - 1
    finally:
        spin.kill()
        spin.wait()


def test_not_a_gguf_file_fails_before_loading(tmp_path: Path) -> None:
    bogus = tmp_path / "model.gguf"
    bogus.write_bytes(b"<html>404 not found</html>" * 10)
    with pytest.raises(AgentError, match="not a GGUF model"):
        LlamaModel(bogus)


def test_missing_file_fails_before_loading(tmp_path: Path) -> None:
    with pytest.raises(AgentError, match="not found"):
        LlamaModel(tmp_path / "absent.gguf")


@pytest.mark.model
def test_truncated_gguf_fails_before_loading(small_model_path: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.gguf"
    with open(small_model_path, "rb") as src:
        cut.write_bytes(src.read(16 << 20))  # header intact, most weights missing
    with pytest.raises(AgentError, match="truncated") as err:
        LlamaModel(cut)
    assert "\n" not in str(err.value)


@pytest.mark.model
def test_schema_reply_parses_and_matches(small_model: LlamaModel) -> None:
    reply = small_model.complete(ASK, schema=STEPS_SCHEMA, max_tokens=96)
    data = json.loads(reply)
    assert set(data) == {"steps", "risky"}
    assert 1 <= len(data["steps"]) <= 3 and all(isinstance(s, str) for s in data["steps"])
    assert isinstance(data["risky"], bool)


@pytest.mark.model
def test_temperature_zero_is_repeatable(small_model: LlamaModel) -> None:
    first = small_model.complete(ASK, schema=STEPS_SCHEMA, max_tokens=64, seed=7)
    other = small_model.complete([ASK[1]], max_tokens=16)  # disturb the KV cache in between
    again = small_model.complete(ASK, schema=STEPS_SCHEMA, max_tokens=64, seed=7)
    assert first == again
    assert other


@pytest.mark.model
def test_prompt_longer_than_context_is_an_error(small_model: LlamaModel) -> None:
    huge = "def f():\n    return 1\n" * 800  # about 8000 tokens, context is 4096
    with pytest.raises(AgentError, match="context holds 4096") as err:
        small_model.complete([{"role": "user", "content": huge}], max_tokens=8)
    assert "\n" not in str(err.value)


@pytest.mark.model
def test_cut_off_json_is_an_error_not_a_bad_reply(small_model: LlamaModel) -> None:
    with pytest.raises(AgentError, match="cut off"):
        small_model.complete(ASK, schema=STEPS_SCHEMA, max_tokens=3)


@pytest.mark.model
def test_count_tokens_uses_the_model_tokenizer(small_model: LlamaModel) -> None:
    assert small_model.count_tokens("") == 0
    one = small_model.count_tokens("def add(a, b):\n    return a + b\n")
    assert 8 <= one <= 20
    assert small_model.count_tokens("x = 1\n" * 10) == 10 * small_model.count_tokens("x = 1\n")


@pytest.mark.model
def test_long_prompt_reports_prefill_progress(small_model: LlamaModel) -> None:
    body = "".join(f"value_{i} = {i}\n" for i in range(130))  # ~1170 tokens: 3 batches
    seen: list[float] = []
    reply = small_model.complete(
        [{"role": "user", "content": body + "What is value_7? Answer with the number."}],
        max_tokens=8, progress=lambda what, frac: seen.append(frac),
    )
    assert reply
    assert len(seen) >= 3 and seen == sorted(seen) and seen[-1] == pytest.approx(1.0)


def test_grammar_keeps_raw_control_characters_out_of_strings() -> None:
    gbnf = grammar_text({"type": "object", "properties": {"code": {"type": "string"}}})
    char_rule = next(line for line in gbnf.splitlines() if line.startswith("char ::="))
    assert r"\x00-\x1F" in char_rule


@pytest.mark.model
def test_multiline_code_in_a_string_is_escaped(small_model: LlamaModel) -> None:
    schema = {"type": "object", "properties": {"code": {"type": "string", "maxLength": 120}},
              "required": ["code"]}
    reply = small_model.complete(
        [{"role": "user", "content": "Write a Python function add(a, b) with a docstring, "
          "as JSON with the source in the code field."}], schema=schema, max_tokens=96)
    assert "\n" in json.loads(reply)["code"]  # strict json.loads: newlines arrived escaped
