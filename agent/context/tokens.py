"""Token counters: the model's own tokenizer from a GGUF file, or an approximation on request.

A counter is a callable ``str -> int`` with a ``tokenizer_id``; the id keys the on-disk count
cache, so counts from one tokenizer are never reused for another.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr
from pathlib import Path

from agent.errors import AgentError

TOKENIZER_ENV = "AGENT_TOKENIZER_GGUF"
APPROX_CHARS_PER_TOKEN = 3.0


class ApproxCounter:
    """One token per 3 characters, rounded up.

    Code in BPE vocabularies runs about 3-4 characters a token, so this over-counts slightly:
    a pack sized with it fits the real model. Used only when the user asks (``--tokenizer
    approx``) or no tokenizer can be loaded.
    """

    tokenizer_id = "approx-chars/3"

    def __call__(self, text: str) -> int:
        return math.ceil(len(text) / APPROX_CHARS_PER_TOKEN)


class GGUFCounter:
    """The model's own tokenizer, loaded vocabulary-only from its GGUF file (fast, no weights)."""

    def __init__(self, path: Path) -> None:
        try:
            from llama_cpp import Llama
        except ImportError as ex:
            raise AgentError("llama-cpp-python is not installed: reinstall agent, "
                             "or pass --tokenizer approx") from ex
        if not path.is_file():
            raise AgentError(f"tokenizer model {path} not found: pass --model-path to a GGUF file")
        try:
            with _quiet_stderr():  # llama.cpp warns about n_ctx on fd 2 even when not verbose
                self._llm = Llama(model_path=str(path), vocab_only=True, verbose=False)
        except (ValueError, RuntimeError) as ex:
            raise AgentError(f"could not load the tokenizer from {path}: {ex}; "
                             "pass --model-path to a valid GGUF file") from ex
        st = path.stat()
        self.tokenizer_id = f"gguf:{path.name}:{st.st_size}"

    def __call__(self, text: str) -> int:
        data = text.encode("utf-8", "replace")
        return len(self._llm.tokenize(data, add_bos=False, special=False))


@contextmanager
def _quiet_stderr() -> Iterator[None]:
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null, redirect_stderr(null):  # C writes and log callback
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def bundled_gguf() -> Path | None:
    """The bundled model's GGUF if it is already assembled; never assembles it just to count."""
    try:
        from agent.llm import registry
    except ImportError:
        return None
    try:
        name = registry.DEFAULT_MODEL
        return registry.bundled_path(name) if registry.is_assembled(name) else None
    except Exception:  # noqa: BLE001 - a registry problem means "no bundled tokenizer" here
        return None


def default_counter(
    tokenizer: str = "model", model_path: Path | None = None
) -> tuple[ApproxCounter | GGUFCounter, str]:
    """The counter to use, and a one-line note when it had to fall back to the approximation."""
    if tokenizer == "approx":
        return ApproxCounter(), ""
    if tokenizer != "model":
        raise AgentError(f"unknown tokenizer {tokenizer!r}: use 'model' or 'approx'")
    if model_path is not None:
        return GGUFCounter(model_path), ""
    env = os.environ.get(TOKENIZER_ENV)
    path = Path(env) if env else bundled_gguf()
    if path is not None and path.is_file():
        return GGUFCounter(path), ""
    return ApproxCounter(), (
        f"note: no model tokenizer found (set {TOKENIZER_ENV} or --model-path); "
        "counting about 3 characters a token"
    )
