"""Keep the KV state of a prompt's stable prefix so the next call, or the next process, skips
re-reading it.

Within a process llama-cpp-python already reuses the KV cache for the longest common token
prefix of consecutive calls. What it cannot do is survive a restart: ``agent resume`` or a new
refine run would prefill the same long system prompt and repository context again (minutes on
a CPU). This cache writes the sequence state with llama.cpp's own ``llama_state_seq_save_file``
keyed by model identity, KV type and a hash of the prefix tokens, and loads it back instead of
evaluating. Files are pruned oldest-first to stay under a byte budget.
"""

from __future__ import annotations

import array
import ctypes
import hashlib
import os
from pathlib import Path
from typing import Any, Protocol

from agent.home import data_home
from agent.llm.base import ProgressFn


class LoadedModel(Protocol):
    """What the cache needs of an embedded model (``LlamaModel``), named here so the cache
    does not import the backend that uses it."""

    kv_type: str

    @property
    def llama(self) -> Any: ...

    def eval_tokens(self, tokens: list[int], progress: ProgressFn | None = None) -> None: ...

MIN_TOKENS = 512
"""Shorter prefixes prefill in well under a second; not worth a file."""
DEFAULT_BUDGET = 2 << 30


def default_dir() -> Path:
    return data_home() / "kv-cache"


def model_identity(path: Path) -> str:
    """A stable id for the weights: the registry sha256 for bundled models, else a hash of size
    and the first and last MiB (hashing a multi-GB file on every load costs too much)."""
    from agent.llm.registry import BUNDLED, models_dir

    path = Path(path)
    for model in BUNDLED.values():
        if path == models_dir() / model.file_name and path.stat().st_size == model.size:
            return model.sha256
    size = path.stat().st_size
    digest = hashlib.sha256(str(size).encode())
    with open(path, "rb") as handle:
        digest.update(handle.read(1 << 20))
        handle.seek(max(size - (1 << 20), 0))
        digest.update(handle.read(1 << 20))
    return digest.hexdigest()


class PrefixCache:
    """On-disk KV states for prompt prefixes of one model."""

    def __init__(self, directory: Path, model_id: str, *, min_tokens: int = MIN_TOKENS,
                 budget_bytes: int = DEFAULT_BUDGET) -> None:
        self.directory = Path(directory)
        self.model_id = model_id
        self.min_tokens = min_tokens
        self.budget_bytes = budget_bytes
        self.last_outcome = ""
        """How the last prefix was served: "memory", "disk", "filled" or "skipped"."""

    def path_for(self, prefix: list[int], kv_type: str) -> Path:
        digest = hashlib.sha256(f"{self.model_id}:{kv_type}:".encode())
        digest.update(array.array("i", prefix).tobytes())
        return self.directory / f"{digest.hexdigest()[:40]}.kv"

    def restore_or_fill(
        self, model: LoadedModel, prefix: list[int], progress: ProgressFn | None
    ) -> str:
        """Make ``model``'s KV cache start with ``prefix``: from memory, from disk, or by
        evaluating it (then saving it for next time). Returns which of those happened."""
        llm = model.llama
        held = llm.input_ids[: llm.n_tokens].tolist()
        if len(held) >= len(prefix) and held[: len(prefix)] == prefix:
            self.last_outcome = "memory"
        elif len(prefix) < self.min_tokens:
            self.last_outcome = "skipped"
        elif self._load(model, prefix):
            self.last_outcome = "disk"
        else:
            model.eval_tokens(prefix, progress)
            self._save(model, prefix)
            self.last_outcome = "filled"
        return self.last_outcome

    def _load(self, model: LoadedModel, prefix: list[int]) -> bool:
        import llama_cpp

        path = self.path_for(prefix, model.kv_type)
        if not path.is_file():
            return False
        llm = model.llama
        tokens = (llama_cpp.llama_token * len(prefix))()
        count = ctypes.c_size_t(0)
        llm.n_tokens = 0  # whatever was cached is replaced by the file's sequence
        read = llama_cpp.llama_state_seq_load_file(
            llm.ctx, os.fsencode(path), 0, tokens, len(prefix), ctypes.byref(count)
        )
        if read == 0 or count.value != len(prefix) or list(tokens) != prefix:
            llm.reset()
            path.unlink(missing_ok=True)  # stale or corrupt: evaluate instead
            return False
        llm.input_ids[: len(prefix)] = prefix
        llm.n_tokens = len(prefix)
        os.utime(path)  # recently used: pruned last
        return True

    def _save(self, model: LoadedModel, prefix: list[int]) -> None:
        import llama_cpp

        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.path_for(prefix, model.kv_type)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tokens = (llama_cpp.llama_token * len(prefix))(*prefix)
        written = llama_cpp.llama_state_seq_save_file(
            model.llama.ctx, os.fsencode(tmp), 0, tokens, len(prefix)
        )
        if written:
            os.replace(tmp, path)
            self._prune()
        else:
            tmp.unlink(missing_ok=True)

    def _prune(self) -> None:
        files = sorted(self.directory.glob("*.kv"), key=lambda p: p.stat().st_mtime, reverse=True)
        total = 0
        for path in files:
            total += path.stat().st_size
            if total > self.budget_bytes:
                path.unlink(missing_ok=True)
