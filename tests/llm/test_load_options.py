"""What a run asks of llama.cpp: KV cache type and GPU layers from the settings, and the load's
real progress through llama.cpp's own callback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import llama_cpp
import pytest
import typer

from agent.cli import app, main
from agent.config import load_settings
from agent.llm.fit import check_fit
from agent.llm.llama import LlamaModel
from agent.runs.session import open_model

GiB = 1 << 30


def _kv_bytes(model: LlamaModel, tokens: list[int]) -> int:
    """Bytes llama.cpp needs to save sequence 0 once it holds ``tokens`` (its KV cells)."""
    model.eval_tokens(tokens)
    return int(llama_cpp.llama_state_seq_get_size(model.llama.ctx, 0))


def _flash_attention(params: llama_cpp.llama_context_params) -> bool:
    if hasattr(params, "flash_attn_type"):  # llama.cpp since mid-2025: auto, enabled or disabled
        return bool(params.flash_attn_type == llama_cpp.LLAMA_FLASH_ATTN_TYPE_ENABLED)
    return bool(params.flash_attn)


class Status:
    """A live status line, as ``rich.status.Status`` is: only its text is kept."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def update(self, text: str) -> None:
        self.lines.append(text)


@pytest.mark.model
def test_settings_reach_the_loaded_model(py_repo: Path, small_model: LlamaModel) -> None:
    (py_repo / ".agent.toml").write_text('model = "qwen2.5-coder-0.5b"\nctx = 2048\nkv_cache = "q8_0"\n')
    settings = load_settings(py_repo, {"gpu_layers": 0})
    status = Status()

    @contextmanager
    def busy(what: str) -> Iterator[Status]:
        yield status

    model = open_model(settings, busy)
    try:
        assert isinstance(model, LlamaModel)
        params = model.llama.context_params
        assert params.type_k == params.type_v == llama_cpp.GGML_TYPE_Q8_0
        assert _flash_attention(params)  # llama.cpp needs it for a quantised V cache
        assert model.llama.model_params.n_gpu_layers == 0
        tokens = model.llama.tokenize(b"x = 1\n" * 200, add_bos=False)
        quantised, full = _kv_bytes(model, tokens), _kv_bytes(small_model, tokens)
        assert quantised < 0.6 * full, (quantised, full)  # q8_0 is 34 bytes per 32 values, f16 64
    finally:
        model.close()
    assert status.lines[-1] == "loading qwen2.5-coder-0.5b.gguf 100% ..."  # from llama.cpp's callback


@pytest.mark.model
def test_load_reports_increasing_fractions(small_model_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    seen: list[tuple[str, float]] = []
    model = LlamaModel(small_model_path, n_ctx=1024, progress=lambda what, done: seen.append((what, done)))
    model.close()
    assert capfd.readouterr() == ("", "")  # llama.cpp's log lines are kept, not printed
    fractions = [done for _, done in seen]
    assert {what for what, _ in seen} == {"loading qwen2.5-coder-0.5b.gguf"}
    assert len(set(fractions)) >= 5, fractions  # real steps, not just 0 and 1
    assert fractions == sorted(fractions) and fractions[0] < 0.5 and fractions[-1] == 1.0


@pytest.mark.model
def test_an_interrupt_while_loading_stops_the_load(small_model_path: Path) -> None:
    def report(what: str, done: float) -> None:
        if done > 0.3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        LlamaModel(small_model_path, n_ctx=1024, progress=report)


@pytest.mark.model
def test_the_fit_advice_names_flags_the_model_loading_commands_take(small_model_path: Path, tmp_path: Path) -> None:
    cli = typer.main.get_command(app)
    commands = {  # each command that loads a model, and the arguments it needs besides the advice
        "refine": (cli.commands["refine"], [str(tmp_path), "--goal", "g"]),  # type: ignore[attr-defined]
        "eval": (cli.commands["eval"], []),  # type: ignore[attr-defined]
        "ci propose": (cli.commands["ci"].commands["propose"], ["--goal", "g"]),  # type: ignore[attr-defined]
    }
    gpu = check_fit(small_model_path, 4096, free_ram=8 * GiB, vram=GiB // 4)  # a small GPU
    kv = check_fit(small_model_path, 65536, free_ram=int(3.5 * GiB))  # CPU only, long context
    assert gpu.changes == ["--gpu-layers 3"] and kv.changes == ["--kv-cache q8_0"]
    for report in (gpu, kv):
        assert report.suggested is not None
        suggested = {"gpu_layers": report.suggested.n_gpu_layers, "kv_cache": report.suggested.kv_type}
        for name, (command, needed) in commands.items():
            parsed = command.make_context(name, [*needed, *" ".join(report.changes).split()]).params
            taken = {k: v for k, v in parsed.items() if k in suggested and v is not None}
            assert taken and taken == {k: suggested[k] for k in taken}, (name, report.changes, parsed)


@pytest.mark.model
def test_refine_checks_the_fit_with_its_kv_cache(
    py_repo: Path, small_model_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["refine", str(py_repo), "--goal", "g", "--model", str(small_model_path), "--ctx", str(1 << 24),
            "--sandbox", "none", "--test-command", "true"]
    said = []
    for extra, toml in (([], ""), (["--kv-cache", "q8_0", "--gpu-layers", "0"], ""), ([], 'kv_cache = "q8_0"\n')):
        if toml:
            (py_repo / ".agent.toml").write_text(toml)
        with pytest.raises(SystemExit) as ex:
            main(argv + extra)
        said.append(capsys.readouterr().err)
        assert ex.value.code == 3, said[-1]  # fits only with a smaller context
        assert not (py_repo / ".agent").exists()  # refused before the run wrote anything
    assert "fits-with-changes: ctx 16777216 needs" in said[0]
    for err in said[1:]:
        assert "fits-with-changes: ctx 16777216, KV cache q8_0 needs" in err
        assert _needed_gib(err) < _needed_gib(said[0]) / 2  # the estimate is for the asked cache


def _needed_gib(message: str) -> float:
    return float(message.split(" needs ")[1].split(" GiB")[0])
