"""The embedded backend: a GGUF model run in-process by llama-cpp-python.

The prompt is rendered with the model's own chat template, tokenised and measured before any
work is done, so a prompt that does not fit is an error rather than a silent truncation. JSON
replies are constrained by a grammar compiled from the schema, and temperature 0 with a fixed
seed makes replies repeatable.
"""

from __future__ import annotations

import io
import json
import logging
import os
import sys
from contextlib import redirect_stderr
from functools import cache
from pathlib import Path
from typing import Any

import psutil

from agent.errors import AgentError, ModelReplyError, ReplyCutOff
from agent.llm.base import Message, ProgressFn, prompt_too_long
from agent.llm.gguf_file import read_gguf
from agent.llm.gpu import gpu_offload_available
from agent.llm.grammar_sampler import CheckedGrammarSampler
from agent.llm.prefix_cache import PrefixCache
from agent.llm.runaway import line_ended, loop_cut_off, looping

KV_TYPES = {"f16": 1, "q8_0": 8, "q4_0": 2}
"""KV cache element types by name -> ggml type id (llama_cpp.GGML_TYPE_*)."""


BUSY_CORE = 50.0  # percent: a core another process keeps this busy is not ours to spin on


def default_threads() -> int:
    """``AGENT_THREADS``, else the physical cores that other processes leave idle right now.

    On 2 idle cores, 2 threads read a prompt 1.8x faster than 1 (269 vs 148 tok/s, 0.5B) and
    generate 1.1x faster; but llama.cpp's threads spin at barriers, so on a core something else
    keeps busy they collapse (3 tok/s against 30 measured here). Sampled for a quarter second
    when a model loads; ``AGENT_THREADS`` fixes it for machines whose load comes and goes.
    """
    env = os.environ.get("AGENT_THREADS")
    if env:
        if not env.isdigit() or int(env) < 1:
            raise AgentError(f"AGENT_THREADS must be a positive integer, not '{env}'")
        return int(env)
    cpus = sorted(os.sched_getaffinity(0))
    physical = psutil.cpu_count(logical=False) or len(cpus)
    usage = psutil.cpu_percent(interval=0.25, percpu=True)
    return threads_for(physical, [usage[c] for c in cpus if c < len(usage)] or [0.0])


def threads_for(physical: int, busy_percent: list[float]) -> int:
    """Threads for ``physical`` cores when the CPUs we may use are this busy (0-100 each)."""
    busy = sum(1 for u in busy_percent if u >= BUSY_CORE)
    return max(1, min(physical, len(busy_percent)) - busy)


class LlamaModel:
    """A ``ChatModel`` backed by llama-cpp-python; one loaded model, one KV cache."""

    def __init__(
        self,
        path: Path | str,
        *,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        n_gpu_layers: int | None = None,
        kv_type: str = "f16",
        n_batch: int = 512,
        name: str | None = None,
        prefix_cache: PrefixCache | None = None,
        progress: ProgressFn | None = None,
    ) -> None:
        path = Path(path)
        info = read_gguf(path)  # missing / not GGUF / truncated: one line, before loading
        if kv_type not in KV_TYPES:
            raise AgentError(f"unknown KV cache type '{kv_type}'; use one of {', '.join(KV_TYPES)}")
        if n_gpu_layers is None:
            n_gpu_layers = -1 if gpu_offload_available() else 0
        kv = KV_TYPES[kv_type]
        threads = n_threads or default_threads()
        loading = _LoadProgress(f"loading {path.name}", progress)
        log = io.StringIO()
        try:
            # verbose=False would point fds 1 and 2 at /dev/null for the whole load, so no
            # progress could be drawn; llama.cpp's log lines go to ``log`` instead (for the error)
            with redirect_stderr(log):
                self._llm = _progress_llama()(
                    loading, model_path=str(path), n_ctx=n_ctx, n_batch=n_batch,
                    n_threads=threads, n_threads_batch=threads, n_gpu_layers=n_gpu_layers,
                    type_k=kv, type_v=kv, flash_attn=kv_type != "f16",  # quantised V needs FA
                    seed=0, verbose=True,
                )
        except (ValueError, RuntimeError) as exc:
            if loading.error is not None:
                raise loading.error from None  # Ctrl-C while loading: the load was aborted
            said = [ln for ln in log.getvalue().splitlines() if ln.strip()]
            raise AgentError(
                f"llama.cpp could not load {path.name} ({said[-1].strip() if said else exc}); "
                "check the file with 'agent models fit' or try a smaller --ctx"
            ) from None
        finally:
            logging.getLogger("llama-cpp-python").setLevel(logging.ERROR)  # as verbose=False
        self._llm.verbose = False  # quiet from here on: no timings after every reply
        self.path = path
        self.name = name or path.stem
        self.context_length = self._llm.n_ctx()
        self.kv_type = kv_type
        self.prefix_cache = prefix_cache
        self._formatter = _chat_formatter(self._llm, info.metadata.get("tokenizer.chat_template"))

    def close(self) -> None:
        """Free the weights and KV cache now rather than at garbage collection."""
        self._llm.close()

    def count_tokens(self, text: str) -> int:
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def render(self, messages: list[Message], *, generation_prompt: bool = True) -> str:
        """The exact prompt text the model sees for ``messages`` (its GGUF chat template)."""
        self._formatter.add_generation_prompt = generation_prompt
        try:
            return self._formatter(messages=list(messages)).prompt  # type: ignore[arg-type]
        finally:
            self._formatter.add_generation_prompt = True

    def prompt_tokens(self, messages: list[Message]) -> list[int]:
        return self._llm.tokenize(self.render(messages).encode("utf-8"), special=True)

    def complete(
        self,
        messages: list[Message],
        *,
        schema: dict[str, Any] | None = None,
        max_tokens: int = 1024,
        temperature: float = 0.0,
        seed: int = 0,
        grammar: str | None = None,
        progress: ProgressFn | None = None,
    ) -> str:
        """Reply to ``messages``; with ``schema`` the reply is JSON constrained to it, with
        ``grammar`` (GBNF) constrained to that."""
        tokens = self.prompt_tokens(messages)
        if len(tokens) >= self.context_length:
            raise prompt_too_long(len(tokens), self.context_length)
        budget = min(max_tokens, self.context_length - len(tokens))
        constraint = _grammar(grammar_text(schema)) if schema is not None else _grammar(grammar) if grammar else None
        from llama_cpp import StoppingCriteriaList

        self._prefill(messages, tokens, progress)
        loop = ""

        def looped(ids: Any, _logits: Any) -> bool:  # checked as each line of the reply ends
            nonlocal loop
            if line_ended(self._llm.detokenize([int(i) for i in ids[-2:]])):  # `;\` + `n` ends one too
                loop = looping(self._llm.detokenize(list(ids[len(tokens):])).decode("utf-8", errors="replace"))
            return bool(loop)

        out = self._llm.create_completion(
            prompt=tokens, max_tokens=budget, temperature=temperature, seed=seed,
            top_k=40, top_p=0.95, min_p=0.05, repeat_penalty=1.0, grammar=constraint,
            stopping_criteria=StoppingCriteriaList([looped]),
        )
        choice = out["choices"][0]  # type: ignore[index]
        text = (choice["text"] or "").strip()
        if loop:
            raise loop_cut_off(self.name, loop, text)
        if not text:
            raise ModelReplyError(f"{self.name} gave an empty reply; retry or use a larger model")
        if choice["finish_reason"] == "length" and (constraint is not None or budget < max_tokens):
            raise ReplyCutOff(
                f"{self.name} reply was cut off after {budget} tokens "
                f"({'context full' if budget < max_tokens else 'max_tokens'}; it ended {text[-60:]!r}); "
                "raise max_tokens or --ctx, or shorten the prompt",
                text,
            )
        return text

    def _prefill(
        self, messages: list[Message], tokens: list[int], progress: ProgressFn | None
    ) -> None:
        """Evaluate the prompt ahead of sampling: reusing the KV state kept in memory or on
        disk for its stable prefix, and reporting progress on the part that is new."""
        llm = self._llm
        if self.prefix_cache is not None and len(messages) > 1:
            prefix = self._llm.tokenize(
                self.render(messages[:-1], generation_prompt=False).encode("utf-8"), special=True
            )
            if tokens[: len(prefix)] == prefix:
                self.prefix_cache.restore_or_fill(self, prefix, progress)
        reuse = _common_prefix(llm.input_ids[: llm.n_tokens].tolist(), tokens)
        todo = tokens[reuse:-1]  # the last token is evaluated by generate, which samples after it
        if len(todo) < 2 * llm.n_batch:
            return
        self.eval_tokens(tokens[:-1], progress)

    def eval_tokens(self, tokens: list[int], progress: ProgressFn | None = None) -> None:
        """Make the KV cache hold exactly ``tokens``, keeping whatever prefix is already there."""
        llm = self._llm
        reuse = _common_prefix(llm.input_ids[: llm.n_tokens].tolist(), tokens)
        llm.n_tokens = reuse  # Llama.eval drops the KV cells past n_tokens before decoding
        total = max(len(tokens) - reuse, 1)
        for start in range(reuse, len(tokens), llm.n_batch):
            llm.eval(tokens[start : start + llm.n_batch])
            if progress:
                progress("reading prompt", min((start + llm.n_batch - reuse) / total, 1.0))

    @property
    def llama(self) -> Any:
        """The underlying ``llama_cpp.Llama`` (for the prefix cache and the benches)."""
        return self._llm


class _LoadProgress:
    """llama.cpp's load-progress callback, reporting to a ``ProgressFn``.

    An exception in the report (Ctrl-C while loading) makes the callback return false, which
    aborts the load; it is kept in ``error`` and raised again once llama.cpp has returned.
    """

    def __init__(self, what: str, report: ProgressFn | None) -> None:
        import llama_cpp

        self.what, self.report = what, report
        self.error: BaseException | None = None
        self.stderr = sys.stderr
        self.c_callback = llama_cpp.llama_progress_callback(self._called)  # kept alive here

    def _called(self, fraction: float, _user_data: object) -> bool:
        if self.report is None:
            return True
        try:
            with redirect_stderr(self.stderr):  # the caller's stderr, not the captured log
                self.report(self.what, float(fraction))
        except BaseException as exc:  # noqa: BLE001 - C cannot carry it; re-raised after the load
            self.error = exc
            return False
        return True


@cache
def _progress_llama() -> type:
    """``llama_cpp.Llama`` whose model params carry a load-progress callback, and whose grammar
    checks the chosen token before it constrains the whole vocabulary (``grammar_sampler``).

    llama-cpp-python 0.3 builds ``llama_model_params`` inside ``Llama.__init__`` and offers no
    argument for ``progress_callback`` (abetlen/llama-cpp-python#2340 would add one); this
    subclass sets the field on the params as ``__init__`` assigns them, before the weights are
    read, without touching any module of llama_cpp.
    """
    from llama_cpp import Llama

    class ProgressLlama(Llama):  # type: ignore[misc]
        def __init__(self, loading: _LoadProgress, **kwargs: Any) -> None:
            self._loading = loading
            super().__init__(**kwargs)

        @property
        def model_params(self) -> Any:
            return self.__dict__["model_params"]

        @model_params.setter
        def model_params(self, params: Any) -> None:
            params.progress_callback = self._loading.c_callback
            self.__dict__["model_params"] = params

        def _init_sampler(self, **kwargs: Any) -> Any:  # type: ignore[override]  # called with keywords only
            """The stock chain, with a grammar checked on the chosen token first (see
            ``grammar_sampler``): llama-cpp-python's own runs it over the whole vocabulary."""
            grammar = kwargs.pop("grammar", None)
            rest = super()._init_sampler(**kwargs)
            return rest if grammar is None else CheckedGrammarSampler(self._model, grammar, rest)

    return ProgressLlama


def _common_prefix(a: list[int], b: list[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def grammar_text(schema: dict[str, Any]) -> str:
    """GBNF for ``schema``. llama-cpp-python's converter lets raw control characters into JSON
    strings (invalid for strict parsers, and the model does emit raw newlines in code); the
    string character rule is narrowed to what upstream llama.cpp uses."""
    from llama_cpp import llama_grammar

    try:
        gbnf = llama_grammar.json_schema_to_gbnf(json.dumps(schema))
    except (ValueError, RuntimeError, KeyError, TypeError, NotImplementedError) as exc:
        raise AgentError(
            f"cannot turn the JSON schema into a grammar ({exc}); simplify the schema"
        ) from None
    return gbnf.replace(_LOOSE_CHAR, _STRICT_CHAR)


_LOOSE_CHAR = r'char ::= [^"\\] |'
_STRICT_CHAR = r'char ::= [^"\\\x7F\x00-\x1F] |'


def _grammar(gbnf: str) -> Any:
    from llama_cpp import LlamaGrammar

    return LlamaGrammar.from_string(gbnf, verbose=False)


def _chat_formatter(llm: Any, template: str | None) -> Any:
    """The model's own chat template, or ChatML (the bundled models' format) when it has none."""
    from llama_cpp import llama_chat_format

    if not template:
        template = _CHATML
    def text(token: int) -> str:
        if token < 0:
            return ""
        return llm.detokenize([token], special=True).decode("utf-8", errors="replace")

    eos, bos = text(llm.token_eos()), text(llm.token_bos())
    return llama_chat_format.Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos)


_CHATML = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
