"""Time to first token with an ~8k-token stable prefix: cold, warm (same process, KV kept in
memory) and in a new process (KV state loaded from the on-disk prefix cache).

    python bench/llm_prefix_cache.py [--model qwen2.5-coder-0.5b] [--tokens 8000] [--json]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from agent.llm.llama import LlamaModel  # noqa: E402
from agent.llm.prefix_cache import PrefixCache, model_identity  # noqa: E402
from agent.llm.registry import TEST_MODEL  # noqa: E402
from agent.llm.spec import local_file, parse_spec  # noqa: E402

HEADROOM = 256


def _messages(prefix_tokens: int, question: str) -> list[dict[str, str]]:
    """A system prompt of about ``prefix_tokens`` tokens of code (Qwen: ~17 tokens a function)."""
    count = prefix_tokens // 17
    code = "".join(f"def helper_{i}(x):\n    return x + {i}\n\n" for i in range(count))
    return [{"role": "system", "content": "You answer questions about this module.\n" + code},
            {"role": "user", "content": question}]


def _ttft(model: LlamaModel, messages: list[dict[str, str]]) -> float:
    start = time.perf_counter()
    model.complete(messages, max_tokens=1)  # type: ignore[arg-type]
    return time.perf_counter() - start


def _open(path: Path, n_ctx: int, cache_dir: Path) -> LlamaModel:
    cache = PrefixCache(cache_dir, model_identity(path), budget_bytes=8 << 30)
    return LlamaModel(path, n_ctx=n_ctx, prefix_cache=cache)


def child(path: Path, n_ctx: int, cache_dir: Path, tokens: int) -> dict[str, Any]:
    """The new-process measurement: load, then first token for an already-seen prefix."""
    start = time.perf_counter()
    model = _open(path, n_ctx, cache_dir)
    load_s = time.perf_counter() - start
    ttft = _ttft(model, _messages(tokens, "What does helper_3 return for 1?"))
    assert model.prefix_cache is not None
    return {"load_s": load_s, "ttft_s": ttft, "outcome": model.prefix_cache.last_outcome}


def run(model_spec: str, tokens: int) -> dict[str, Any]:
    path = local_file(parse_spec(model_spec))
    n_ctx = tokens + HEADROOM
    with tempfile.TemporaryDirectory(prefix="agent-kv-bench-") as tmp:
        cache_dir = Path(tmp)
        model = _open(path, n_ctx, cache_dir)
        first = _messages(tokens, "What does helper_3 return for 1?")
        prefix_len = len(model.prompt_tokens(first[:1]))  # type: ignore[arg-type]
        cold = _ttft(model, first)
        assert model.prefix_cache is not None
        cold_outcome = model.prefix_cache.last_outcome
        warm = _ttft(model, _messages(tokens, "Which helper adds 5?"))
        warm_outcome = model.prefix_cache.last_outcome
        model.close()
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(path), str(n_ctx), tmp, str(tokens)],
            capture_output=True, text=True, check=True,
        )
        fresh = json.loads(out.stdout.strip().splitlines()[-1])
        cache_mb = sum(p.stat().st_size for p in cache_dir.glob("*.kv")) / 2**20
    return {
        "model": model_spec, "n_ctx": n_ctx, "prefix_tokens": prefix_len,
        "cold_ttft_s": cold, "cold_outcome": cold_outcome,
        "warm_ttft_s": warm, "warm_outcome": warm_outcome,
        "new_process_ttft_s": fresh["ttft_s"], "new_process_outcome": fresh["outcome"],
        "new_process_load_s": fresh["load_s"], "cache_file_mb": cache_mb,
        "speedup_warm": cold / warm, "speedup_new_process": cold / fresh["ttft_s"],
    }


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        path, n_ctx, cache_dir, tokens = sys.argv[2:6]
        print(json.dumps(child(Path(path), int(n_ctx), Path(cache_dir), int(tokens))))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=TEST_MODEL)
    parser.add_argument("--tokens", type=int, default=8000, help="size of the stable prefix")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    result = run(args.model, args.tokens)
    if args.json:
        print(json.dumps(result, sort_keys=True))
        return
    print(f"{args.model}: {result['prefix_tokens']}-token prefix, n_ctx {result['n_ctx']}, "
          f"cache file {result['cache_file_mb']:.0f} MiB")
    print(f"  cold         TTFT {result['cold_ttft_s']:7.2f} s  ({result['cold_outcome']})")
    print(f"  warm         TTFT {result['warm_ttft_s']:7.2f} s  ({result['warm_outcome']}, "
          f"{result['speedup_warm']:.0f}x)")
    print(f"  new process  TTFT {result['new_process_ttft_s']:7.2f} s  "
          f"({result['new_process_outcome']}, {result['speedup_new_process']:.0f}x; "
          f"load {result['new_process_load_s']:.2f} s)")


if __name__ == "__main__":
    main()
