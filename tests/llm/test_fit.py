"""Fit before load: the header-only estimate matches reality and the verdicts map to exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.commands.models import app
from agent.errors import AgentError
from agent.llm.fit import Plan, check_fit, estimate
from agent.llm.gguf_file import read_gguf

GiB = 1 << 30

# Load in a fresh interpreter, fill the whole context, report RSS growth over the load.
MEASURE = """
import sys, psutil
from agent.llm.llama import LlamaModel
proc = psutil.Process()
before = proc.memory_info().rss
model = LlamaModel(sys.argv[1], n_ctx=int(sys.argv[2]), kv_type=sys.argv[3])
filler = model.llama.tokenize(b"x = 1\\n" * int(sys.argv[2]), add_bos=False)
model.eval_tokens(filler[: model.context_length - 8])
print(proc.memory_info().rss - before)
"""


def _measured_growth(path: Path, n_ctx: int, kv_type: str) -> int:
    out = subprocess.run([sys.executable, "-c", MEASURE, str(path), str(n_ctx), kv_type],
                         capture_output=True, text=True, check=True, timeout=300)
    return int(out.stdout.strip().splitlines()[-1])


@pytest.mark.model
@pytest.mark.parametrize(("n_ctx", "kv_type"), [(1024, "f16"), (2048, "f16"), (1024, "q8_0")])
def test_estimate_within_20_percent_of_rss(
    small_model_path: Path, n_ctx: int, kv_type: str
) -> None:
    predicted = estimate(read_gguf(small_model_path), Plan(n_ctx, kv_type)).ram
    measured = _measured_growth(small_model_path, n_ctx, kv_type)
    assert abs(predicted - measured) / measured <= 0.20, (predicted, measured)


@pytest.mark.model
def test_larger_context_costs_more(small_model_path: Path) -> None:
    info = read_gguf(small_model_path)
    small, big = estimate(info, Plan(1024)), estimate(info, Plan(8192))
    assert big.kv_cache == 8 * small.kv_cache
    assert estimate(info, Plan(8192, "q8_0")).kv_cache < big.kv_cache


@pytest.mark.model
def test_verdicts(small_model_path: Path) -> None:
    assert check_fit(small_model_path, 4096, free_ram=8 * GiB).verdict == "fits"
    tight = check_fit(small_model_path, 65536, free_ram=int(3.5 * GiB))
    assert tight.verdict == "fits-with-changes" and tight.exit_code == 3
    assert tight.suggested is not None and tight.changes
    assert check_fit(small_model_path, 4096, free_ram=GiB // 4).exit_code == 4


@pytest.mark.model
def test_fit_command_exit_codes(small_model_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(app, ["fit", str(small_model_path), "--ctx", "2048", "--ram", "8", "--json"])
    assert ok.exit_code == 0
    data = json.loads(ok.output)
    assert data["verdict"] == "fits" and data["estimate"]["kv_cache"] > 0
    change = runner.invoke(app, ["fit", str(small_model_path), "--ctx", "65536", "--ram", "3.5"])
    assert change.exit_code == 3 and "fits with:" in change.output
    none = runner.invoke(app, ["fit", str(small_model_path), "--ctx", "2048", "--ram", "0.25"])
    assert none.exit_code == 4 and "does-not-fit" in none.output


def test_fit_of_a_non_gguf_file_is_an_error(tmp_path: Path) -> None:
    junk = tmp_path / "x.gguf"
    junk.write_bytes(b"\x00" * 64)
    with pytest.raises(AgentError, match="not a GGUF"):
        check_fit(junk, 2048)
