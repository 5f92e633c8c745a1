"""The grammar checks the chosen token first: the same greedy replies as llama-cpp-python's own
chain, every reply inside the grammar, and the whole vocabulary constrained only when needed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.edits.whole_file import whole_file_grammar
from agent.llm.grammar_sampler import CheckedGrammarSampler
from agent.llm.llama import LlamaModel, grammar_text
from tests.llm.asks import ASK, STEPS_SCHEMA

WRITE_FILE = [
    {"role": "system", "content": "You write Python. Answer with the file only."},
    {"role": "user", "content": "Write greet.py with a function greet(name) that returns 'Hello, NAME!'. "
     "Reply with the path on a line of its own, then the whole file in a fenced code block."},
]


@pytest.fixture(scope="module")
def stock(small_model_path: Path) -> Iterator[object]:
    """llama-cpp-python's own ``Llama``, whose chain runs the grammar over the whole vocabulary."""
    import llama_cpp

    llm = llama_cpp.Llama(str(small_model_path), n_ctx=4096, n_threads=1, n_threads_batch=1, verbose=False)
    yield llm
    llm.close()


def _complete(llm: object, tokens: list[int], gbnf: str, temperature: float = 0.0, seed: int = 0) -> str:
    import llama_cpp

    llm.reset()  # type: ignore[attr-defined]
    out = llm.create_completion(  # type: ignore[attr-defined]
        prompt=tokens, max_tokens=200, temperature=temperature, seed=seed, top_k=40, top_p=0.95, min_p=0.05,
        repeat_penalty=1.0, grammar=llama_cpp.LlamaGrammar.from_string(gbnf, verbose=False))
    return str(out["choices"][0]["text"])


@pytest.mark.model
@pytest.mark.parametrize("ask, gbnf", [
    (WRITE_FILE, whole_file_grammar(["greet.py"])),
    (ASK, grammar_text(STEPS_SCHEMA)),
], ids=["whole-file", "json-schema"])
def test_greedy_replies_are_the_stock_chains_token_for_token(
    small_model: LlamaModel, stock: object, ask: list[dict[str, str]], gbnf: str,
) -> None:
    tokens = small_model.prompt_tokens(ask)  # type: ignore[arg-type]
    ours = _complete(small_model.llama, tokens, gbnf)
    sampler = small_model.llama._sampler
    assert isinstance(sampler, CheckedGrammarSampler)
    assert ours == _complete(stock, tokens, gbnf)
    assert 0 < sampler.fell_back < sampler.checked  # mostly one token checked, the whole vocabulary when needed


@pytest.mark.model
def test_sampled_replies_stay_inside_the_grammar(small_model: LlamaModel) -> None:
    tokens = small_model.prompt_tokens(WRITE_FILE)  # type: ignore[arg-type]
    gbnf = 'root ::= "answer: " ("yes" | "no") "."'  # never what the model would write unconstrained
    replies = {_complete(small_model.llama, tokens, gbnf, temperature=1.2, seed=s) for s in range(4)}
    assert replies <= {"answer: yes.", "answer: no."}
    assert small_model.llama._sampler.fell_back >= 1
