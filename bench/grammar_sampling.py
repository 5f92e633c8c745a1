"""Generation speed of grammar-constrained replies: our checked grammar against llama-cpp-python's.

For each of the first ``--n`` seeded Exercism-style tasks, the first candidate's whole-file prompt
(the tests in the system prompt, the stub in the reply's form, the goal), answered greedily under
the whole-file grammar by the same model, threads and prompt tokens twice: once through our
backend (the grammar checks the chosen token first), once through llama-cpp-python's own chain
(the grammar runs over the whole vocabulary every token). Prints generated tokens/s of each,
their ratio, and whether the two replies are identical (they should be: greedy is greedy).

    python bench/grammar_sampling.py [--model qwen2.5-coder-1.5b] [--tasks DIR] [--n 5] [--threads 1] [--json]
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

from agent.edits.whole_file import whole_file_grammar  # noqa: E402
from agent.llm.llama import LlamaModel, default_threads  # noqa: E402
from agent.llm.spec import local_file, parse_spec  # noqa: E402
from agent.prompts import render, template  # noqa: E402
from bench.solve_tasks import Task, load_tasks, pick  # noqa: E402

N_CTX = 8192
REPLY_TOKENS = 1536


def messages(task: Task) -> list[dict[str, str]]:
    stub = (task.path / task.stub).read_text()
    tests = (task.path / task.test).read_text()
    user = render("edit_whole", goal=task.goal(), stage_number="1", stage_count="1", title=f"Change {task.stub}",
                  intent="Make the change the goal asks for.", files=f"{task.stub}\n```\n{stub}```\n\n", feedback="")
    return [{"role": "system", "content": template("system") + f"=== {task.test} ===\n{tests}"},
            {"role": "user", "content": user}]


def generate(llm: Any, tokens: list[int], gbnf: str) -> tuple[str, int, float]:
    """A greedy constrained reply after the prompt: its text, tokens and generation seconds."""
    llm.reset()
    llm.eval(tokens[:-1])
    grammar = llama_cpp.LlamaGrammar.from_string(gbnf, verbose=False)
    start = time.perf_counter()
    out = llm.create_completion(prompt=tokens, max_tokens=REPLY_TOKENS, temperature=0.0, seed=0, top_k=40,
                                top_p=0.95, min_p=0.05, repeat_penalty=1.0, grammar=grammar)
    return out["choices"][0]["text"], out["usage"]["completion_tokens"], time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="qwen2.5-coder-1.5b", help="GGUF path or bundled model name")
    parser.add_argument("--tasks", type=Path,
                        default=Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "exercism-python",
                        help="folder of tasks (NAME.py, NAME_test.py, docs/*.md each)")
    parser.add_argument("--n", type=int, default=5, help="how many tasks")
    parser.add_argument("--seed", type=int, default=1, help="seed of the task shuffle")
    parser.add_argument("--threads", type=int, help="llama.cpp threads (default: what agent picks)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    path = str(local_file(parse_spec(args.model)))
    threads = args.threads or default_threads()
    ours = LlamaModel(path, n_ctx=N_CTX, n_threads=threads)
    stock = llama_cpp.Llama(path, n_ctx=N_CTX, n_threads=threads, n_threads_batch=threads, verbose=False)
    rows = []
    for task in pick(load_tasks(args.tasks), args.n, args.seed):
        tokens = ours.prompt_tokens(messages(task))  # type: ignore[arg-type]
        gbnf = whole_file_grammar([task.stub])
        text, n, ours_s = generate(ours.llama, tokens, gbnf)
        stock_text, stock_n, stock_s = generate(stock, tokens, gbnf)
        rows.append({"task": task.name, "tokens": n, "ours_tps": n / ours_s, "stock_tps": stock_n / stock_s,
                     "identical": text == stock_text})
    total = {"ours_tps": sum(r["tokens"] for r in rows) / sum(r["tokens"] / r["ours_tps"] for r in rows),
             "stock_tps": sum(r["tokens"] for r in rows) / sum(r["tokens"] / r["stock_tps"] for r in rows)}
    total["ratio"] = total["ours_tps"] / total["stock_tps"]
    if args.json:
        print(json.dumps({"model": args.model, "threads": threads, "tasks": rows, **total}, sort_keys=True))
        return
    print(f"{args.model}, {threads} thread(s), greedy whole-file replies under the grammar")
    print(f"{'task':24} {'tokens':>6} {'ours tok/s':>10} {'stock tok/s':>11} {'ratio':>6}  identical")
    for r in rows:
        print(f"{r['task']:24} {r['tokens']:6d} {r['ours_tps']:10.1f} {r['stock_tps']:11.1f} "
              f"{r['ours_tps'] / r['stock_tps']:6.2f}  {'yes' if r['identical'] else 'NO'}")
    print(f"{'all':24} {'':6} {total['ours_tps']:10.1f} {total['stock_tps']:11.1f} {total['ratio']:6.2f}")


if __name__ == "__main__":
    main()
