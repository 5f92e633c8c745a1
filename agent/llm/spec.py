"""A model spec, the text that names a model, and opening what it names.

This is the one place a spec is read. It is a bundled model's name, a path to a ``.gguf``
file, ``hf:OWNER/REPO/FILE.gguf``, an OpenAI-compatible endpoint
``http(s)://HOST[:PORT]/v1[#MODEL]``, or ``scripted:FILE`` (recorded replies, for tests).
A local file is checked against free memory before it is loaded, with the same KV cache type
and GPU layers the load will use.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from agent.errors import AgentError
from agent.llm import registry
from agent.llm.base import ProgressFn
from agent.llm.endpoint import EndpointModel
from agent.llm.fit import FitReport, require_fit
from agent.llm.llama import LlamaModel
from agent.llm.prefix_cache import PrefixCache, default_dir, model_identity
from agent.llm.scripted import ScriptedModel

Kind = Literal["bundled", "file", "hf", "endpoint", "scripted"]
LOCAL: tuple[Kind, ...] = ("bundled", "file", "hf")


@dataclass(frozen=True)
class ModelSpec:
    """What a spec names: ``target`` is the name, path, ``OWNER/REPO/FILE`` or URL."""

    kind: Kind
    target: str
    served: str = ""
    """The model name an endpoint serves (after ``#``)."""


def parse_spec(spec: str) -> ModelSpec:
    """Read ``spec``; an unknown name is a one-line error listing the known ones."""
    if spec.startswith("scripted:"):
        if not spec[len("scripted:"):]:
            raise AgentError("bad model spec 'scripted:'; use scripted:FILE (a JSON list of replies)")
        return ModelSpec("scripted", spec[len("scripted:"):])
    if spec.startswith(("http://", "https://")):
        url, _, served = spec.partition("#")
        return ModelSpec("endpoint", url, served or "default")
    if spec.startswith("hf:"):
        return ModelSpec("hf", spec[len("hf:"):])
    if spec in registry.BUNDLED:
        return ModelSpec("bundled", spec)
    path = Path(spec).expanduser()
    if path.suffix == ".gguf" or os.sep in spec or path.exists():
        return ModelSpec("file", str(path))
    raise registry.unknown_model(spec)


def local_file(spec: ModelSpec, progress: ProgressFn | None = None) -> Path:
    """The GGUF file a local spec names: assembled, downloaded or checked to exist."""
    if spec.kind == "bundled":
        return registry.ensure_bundled(spec.target, progress)
    if spec.kind == "hf":
        return registry.hf_download(spec.target)
    if spec.kind != "file":
        raise AgentError(f"'{spec.target}' is not a local model file; it has no GGUF to read")
    path = Path(spec.target)
    if not path.is_file():
        raise AgentError(f"model file not found: {path}; check the path")
    return path


def check_model(
    spec: str, n_ctx: int, *, kv_type: str = "f16", n_gpu_layers: int | None = None,
    progress: ProgressFn | None = None,
) -> FitReport | None:
    """Find the model and refuse it, in one line, if it will not fit as it would be loaded.

    Nothing is loaded. An endpoint or scripted replies have nothing to check (None).
    """
    parsed = parse_spec(spec)
    if parsed.kind not in LOCAL:
        return None
    return require_fit(local_file(parsed, progress), n_ctx, kv_type=kv_type, n_gpu_layers=n_gpu_layers)


def open_model(
    spec: str, n_ctx: int, *, kv_type: str = "f16", n_gpu_layers: int | None = None,
    progress: ProgressFn | None = None, persist_prefix: bool = True, **options: Any,
) -> LlamaModel | EndpointModel | ScriptedModel:
    """The model ``spec`` names, ready to ask.

    A local file is checked to fit first, then loaded with ``kv_type`` (f16, q8_0, q4_0) and
    ``n_gpu_layers`` (None: all when the build has a GPU backend), reporting the load through
    ``progress``. With ``persist_prefix`` the KV state of long stable prompt prefixes is kept
    on disk for the next process. ``options`` go to ``LlamaModel`` (n_threads, prefix_cache).
    """
    parsed = parse_spec(spec)
    if parsed.kind == "scripted":
        return ScriptedModel.from_file(Path(parsed.target))
    if parsed.kind == "endpoint":
        return EndpointModel(parsed.target, parsed.served, context_length=n_ctx)
    path = local_file(parsed, progress)
    require_fit(path, n_ctx, kv_type=kv_type, n_gpu_layers=n_gpu_layers)
    if persist_prefix and "prefix_cache" not in options:
        options["prefix_cache"] = PrefixCache(default_dir(), model_identity(path))
    name = Path(spec).stem if parsed.kind == "file" else spec
    return LlamaModel(path, n_ctx=n_ctx, kv_type=kv_type, n_gpu_layers=n_gpu_layers, name=name,
                      progress=progress, **options)
