"""Prompt and generation tokens/s through our backend vs llama-cpp-python's low-level API.

Both run in this process on the same model, prompt tokens, context size and thread count; the
low-level side generates exactly as many tokens as ours did, greedily. The ratio shows what our
layer (chat template, grammar-free sampling setup, prefill progress) costs over raw llama.cpp.

    python bench/llm_throughput.py [--model qwen2.5-coder-0.5b] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import llama_cpp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from agent.llm.llama import LlamaModel, default_threads  # noqa: E402
from agent.llm.registry import TEST_MODEL  # noqa: E402
from agent.llm.spec import local_file, parse_spec  # noqa: E402

N_CTX = 4096
N_BATCH = 512


def _messages(lines: int) -> list[dict[str, str]]:
    body = "".join(f"def f{i}(x):\n    return x * {i}\n" for i in range(lines))
    return [{"role": "system", "content": "You are a careful Python reviewer."},
            {"role": "user", "content": body + "\nWrite a docstring for f3, then explain it."}]


def ours(path: str, messages: list[dict[str, str]], gen: int) -> dict[str, Any]:
    model = LlamaModel(path, n_ctx=N_CTX, n_batch=N_BATCH)
    llm = model.llama
    tokens = model.prompt_tokens(messages)  # type: ignore[arg-type]
    llm.reset()
    start = time.perf_counter()
    model.complete(messages, max_tokens=1)  # type: ignore[arg-type]
    prompt_s = time.perf_counter() - start
    llm.reset()
    start = time.perf_counter()
    model.complete(messages, max_tokens=gen)  # type: ignore[arg-type]
    total_s = time.perf_counter() - start
    generated = llm.n_tokens - len(tokens) + 1  # the last sampled token is not evaluated
    model.close()
    return {"prompt_tokens": len(tokens), "gen_tokens": generated,
            "prompt_tps": len(tokens) / prompt_s, "gen_tps": generated / (total_s - prompt_s),
            "tokens": tokens}


def low_level(path: str, tokens: list[int], gen: int) -> dict[str, Any]:
    llama_cpp.llama_backend_init()
    mparams = llama_cpp.llama_model_default_params()
    mparams.n_gpu_layers = 0
    model = llama_cpp.llama_model_load_from_file(path.encode(), mparams)
    cparams = llama_cpp.llama_context_default_params()
    cparams.n_ctx, cparams.n_batch, cparams.n_ubatch = N_CTX, N_BATCH, N_BATCH
    cparams.n_threads = cparams.n_threads_batch = default_threads()
    cparams.flash_attn_type = llama_cpp.LLAMA_FLASH_ATTN_TYPE_DISABLED  # as our f16 default
    ctx = llama_cpp.llama_init_from_model(model, cparams)
    sampler = llama_cpp.llama_sampler_chain_init(llama_cpp.llama_sampler_chain_default_params())
    llama_cpp.llama_sampler_chain_add(sampler, llama_cpp.llama_sampler_init_greedy())
    start = time.perf_counter()
    for i in range(0, len(tokens), N_BATCH):
        chunk = tokens[i : i + N_BATCH]
        arr = (llama_cpp.llama_token * len(chunk))(*chunk)
        if llama_cpp.llama_decode(ctx, llama_cpp.llama_batch_get_one(arr, len(chunk))) != 0:
            raise RuntimeError("llama_decode failed on the prompt")
    token = llama_cpp.llama_sampler_sample(sampler, ctx, -1)
    prompt_s = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(gen - 1):
        one = (llama_cpp.llama_token * 1)(token)
        if llama_cpp.llama_decode(ctx, llama_cpp.llama_batch_get_one(one, 1)) != 0:
            raise RuntimeError("llama_decode failed while generating")
        token = llama_cpp.llama_sampler_sample(sampler, ctx, -1)
    gen_s = time.perf_counter() - start
    llama_cpp.llama_sampler_free(sampler)
    llama_cpp.llama_free(ctx)
    llama_cpp.llama_model_free(model)
    return {"prompt_tps": len(tokens) / prompt_s, "gen_tps": (gen - 1) / gen_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=TEST_MODEL)
    parser.add_argument("--lines", type=int, default=60, help="prompt size (about 18 tokens each)")
    parser.add_argument("--gen", type=int, default=64, help="tokens to generate")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    path = str(local_file(parse_spec(args.model)))
    mine = ours(path, _messages(args.lines), args.gen)
    raw = low_level(path, mine.pop("tokens"), mine["gen_tokens"])
    result = {
        "model": args.model, "threads": default_threads(), "n_ctx": N_CTX, **mine,
        "low_level_prompt_tps": raw["prompt_tps"], "low_level_gen_tps": raw["gen_tps"],
        "prompt_ratio": mine["prompt_tps"] / raw["prompt_tps"],
        "gen_ratio": mine["gen_tps"] / raw["gen_tps"],
    }
    if args.json:
        print(json.dumps(result, sort_keys=True))
        return
    print(f"{args.model}, {result['threads']} threads, {mine['prompt_tokens']} prompt tokens, "
          f"{mine['gen_tokens']} generated")
    print(f"  prompt  ours {mine['prompt_tps']:8.1f} tok/s   low-level "
          f"{raw['prompt_tps']:8.1f} tok/s   ratio {result['prompt_ratio']:.2f}")
    print(f"  gen     ours {mine['gen_tps']:8.1f} tok/s   low-level "
          f"{raw['gen_tps']:8.1f} tok/s   ratio {result['gen_ratio']:.2f}")


if __name__ == "__main__":
    main()
