"""Grammar-constrained sampling that checks one token, not the whole vocabulary, per step.

llama-cpp-python's sampler chain puts the grammar first, so every generated token runs the
grammar over all 151,936 entries of the Qwen vocabulary before top-k: with the 1.5B on one core
that made whole-file replies 1.2-1.45x slower to generate than the same reply unconstrained
(`bench/grammar_sampling.py`). llama.cpp's own common sampler does it the other way round: pick
a token with the rest of the chain, check only that token against the grammar, and constrain
the whole vocabulary only when it is not allowed. Greedy replies are the same token for token:
the unconstrained argmax, when the grammar allows it, is the constrained argmax.
"""

from __future__ import annotations

import ctypes
import math
from typing import Any

import numpy as np

# llama_token_data as numpy sees it: the id, the logit and the probability of one candidate.
_TOKEN_DATA = np.dtype([("id", np.int32), ("logit", np.float32), ("p", np.float32)], align=True)


class CheckedGrammarSampler:
    """Stands where llama-cpp-python's ``LlamaSampler`` does (``sample(ctx, idx)``): ``rest``
    is the chain without the grammar (top-k, temperature, the draw), built by llama-cpp-python."""

    def __init__(self, model: Any, grammar: Any, rest: Any) -> None:
        import llama_cpp

        self._c = llama_cpp
        self.rest = rest
        self.grammar = llama_cpp.llama_sampler_init_grammar(
            model.vocab, grammar._grammar.encode("utf-8"), grammar._root.encode("utf-8"))
        if not self.grammar:
            raise ValueError("llama.cpp refused the grammar")
        self.n_vocab = int(llama_cpp.llama_vocab_n_tokens(model.vocab))
        self.all = np.zeros(self.n_vocab, dtype=_TOKEN_DATA)
        self.all_array = self._array(self.all.ctypes.data, self.n_vocab)
        self.one = np.zeros(1, dtype=_TOKEN_DATA)
        self.one_array = self._array(self.one.ctypes.data, 1)
        self.checked = self.fell_back = 0  # tokens sampled, and those the grammar had to pick among all

    def _array(self, address: int, size: int) -> Any:
        data = ctypes.cast(address, ctypes.POINTER(self._c.llama_token_data))
        return self._c.llama_token_data_array(data=data, size=size, selected=-1, sorted=False)

    def _pick(self, logits: np.ndarray, *samplers: Any) -> int:
        """The token ``samplers``, applied in turn to every token with ``logits``, select."""
        self.all["id"] = np.arange(self.n_vocab, dtype=np.int32)
        self.all["logit"], self.all["p"] = logits, 0.0
        self.all_array.size, self.all_array.selected, self.all_array.sorted = self.n_vocab, -1, False
        for sampler in samplers:
            self._c.llama_sampler_apply(sampler, ctypes.byref(self.all_array))
        return int(self.all["id"][self.all_array.selected])

    def allows(self, token: int) -> bool:
        """Whether the grammar, in its current state, lets ``token`` come next."""
        self.one["id"], self.one["logit"], self.one["p"] = token, 0.0, 0.0
        self.one_array.size, self.one_array.selected, self.one_array.sorted = 1, -1, False
        self._c.llama_sampler_apply(self.grammar, ctypes.byref(self.one_array))
        return not math.isinf(float(self.one["logit"][0]))

    def sample(self, ctx: Any, idx: int = -1) -> int:
        logits = np.ctypeslib.as_array(self._c.llama_get_logits_ith(ctx.ctx, idx), shape=(self.n_vocab,)).copy()
        token = self._pick(logits, self.rest.sampler)
        self.checked += 1
        if not self.allows(token):
            self.fell_back += 1
            token = self._pick(logits, self.grammar, self.rest.sampler)
        self._c.llama_sampler_accept(self.grammar, token)
        self._c.llama_sampler_accept(self.rest.sampler, token)
        return token

    def close(self) -> None:
        if self.grammar:
            self._c.llama_sampler_free(self.grammar)
            self.grammar = None
        self.rest.close()

    def __del__(self) -> None:
        self.close()
