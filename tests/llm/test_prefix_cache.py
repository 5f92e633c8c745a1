"""A long stable prefix is evaluated once: reused in memory, and from disk by a fresh model."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.llm.llama import LlamaModel
from agent.llm.prefix_cache import PrefixCache, model_identity

CONTEXT = "".join(f"def helper_{i}(x):\n    return x + {i}\n\n" for i in range(40))
SYSTEM = {"role": "system", "content": "You answer questions about this module.\n" + CONTEXT}


def _ask(question: str) -> list[dict[str, str]]:
    return [SYSTEM, {"role": "user", "content": question}]


@pytest.mark.model
def test_prefix_is_filled_then_reused_then_loaded(small_model_path: Path, tmp_path: Path) -> None:
    cache_dir = tmp_path / "kv"
    ident = model_identity(small_model_path)
    first = LlamaModel(small_model_path, n_ctx=4096, prefix_cache=PrefixCache(cache_dir, ident))
    try:
        cold = first.complete(_ask("What does helper_3 return for 1?"), max_tokens=12)
        assert first.prefix_cache is not None
        assert first.prefix_cache.last_outcome == "filled"
        files = list(cache_dir.glob("*.kv"))
        assert len(files) == 1 and files[0].stat().st_size > 1 << 20
        first.complete(_ask("Name one helper."), max_tokens=8)
        assert first.prefix_cache.last_outcome == "memory"
    finally:
        first.close()

    fresh = LlamaModel(small_model_path, n_ctx=4096, prefix_cache=PrefixCache(cache_dir, ident))
    try:
        warm = fresh.complete(_ask("What does helper_3 return for 1?"), max_tokens=12)
        assert fresh.prefix_cache is not None
        assert fresh.prefix_cache.last_outcome == "disk"
        assert warm == cold  # the loaded state is the evaluated state
    finally:
        fresh.close()


@pytest.mark.model
def test_corrupt_cache_file_is_replaced(small_model_path: Path, tmp_path: Path) -> None:
    cache = PrefixCache(tmp_path, model_identity(small_model_path))
    model = LlamaModel(small_model_path, n_ctx=4096, prefix_cache=cache)
    try:
        prefix = model.llama.tokenize(
            model.render([SYSTEM], generation_prompt=False).encode(), special=True)
        cache.path_for(prefix, model.kv_type).write_bytes(b"garbage" * 100)
        assert model.complete(_ask("Name one helper."), max_tokens=8)
        assert cache.last_outcome == "filled"
        assert cache.path_for(prefix, model.kv_type).stat().st_size > 1 << 20
    finally:
        model.close()


@pytest.mark.model
def test_short_prefixes_are_not_written(small_model: LlamaModel, tmp_path: Path) -> None:
    small_model.prefix_cache = PrefixCache(tmp_path, "id")
    try:
        small_model.complete([{"role": "system", "content": "Be brief."},
                              {"role": "user", "content": "Say hi."}], max_tokens=4)
        assert small_model.prefix_cache.last_outcome == "skipped"
        assert not list(tmp_path.iterdir())
    finally:
        small_model.prefix_cache = None
