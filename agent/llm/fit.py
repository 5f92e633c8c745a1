"""Will this model fit here, before we spend a minute loading it and the OOM killer ends us?

The estimate comes from the GGUF header alone: weights (per layer, so GPU offload can be
split), the KV cache for ``n_ctx`` tokens at the chosen element type, and the compute buffers
llama.cpp actually touches (attention scores grow with the context unless flash attention is
on). It is checked against free RAM (psutil) and free VRAM when the build has a GPU backend.

Verdicts and the exit statuses ``agent models fit`` uses for them:
  fits (0)               as asked;
  fits-with-changes (3)  only with the changes named (fewer GPU layers, quantised KV cache,
                         smaller context);
  does-not-fit (4)       not even with those.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import psutil

from agent.errors import AgentError
from agent.llm.gguf_file import GGUFInfo, read_gguf
from agent.llm.gpu import MiB, free_vram

RESERVE_BYTES = 512 * MiB
"""RAM left for the OS, the sandbox client and the rest of agent."""
RUNTIME_BYTES = 64 * MiB
"""ggml/llama.cpp bookkeeping, tokenizer and Python-side buffers (measured on CPU)."""
KV_BYTES_PER_ELEMENT = {"f16": 2.0, "q8_0": 34 / 32, "q4_0": 18 / 32}
REPACKED_TYPES = {"Q4_0", "Q4_K", "IQ4_NL"}
"""Weight types ggml's CPU backend copies into an interleaved layout at load (AVX2/NEON): the
copy is extra RAM and the mapped originals stay resident (measured on the 1.5B: +597 MiB)."""
EXIT_STATUS = {"fits": 0, "fits-with-changes": 3, "does-not-fit": 4}
MIN_CTX = 1024


@dataclass(frozen=True)
class Plan:
    n_ctx: int
    kv_type: str = "f16"
    n_gpu_layers: int = 0


@dataclass(frozen=True)
class Estimate:
    weights: int
    kv_cache: int
    compute: int
    ram: int
    vram: int


@dataclass
class FitReport:
    verdict: str
    requested: Plan
    estimate: Estimate
    free_ram: int
    free_vram: int | None
    suggested: Plan | None = None
    changes: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return EXIT_STATUS[self.verdict]

    def summary(self) -> str:
        """One line for the terminal."""
        need = f"needs {_gib(self.estimate.ram)} RAM"
        if self.estimate.vram:
            need += f" + {_gib(self.estimate.vram)} VRAM"
        have = f"{_gib(self.free_ram)} RAM free"
        if self.free_vram is not None:
            have += f", {_gib(self.free_vram)} VRAM free"
        asked = f"ctx {self.requested.n_ctx}"
        if self.requested.kv_type != "f16":
            asked += f", KV cache {self.requested.kv_type}"
        if self.free_vram is not None:
            asked += f", GPU layers {self.requested.n_gpu_layers}"
        line = f"{self.verdict}: {asked} {need}; {have}"
        if self.changes:
            line += "; fits with: " + ", ".join(self.changes)
        return line

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["exit_code"] = self.exit_code
        return data


def estimate(info: GGUFInfo, plan: Plan, n_ubatch: int = 512) -> Estimate:
    """Bytes this plan needs, split between RAM and VRAM."""
    n_layers = max(info.n_layers, 1)
    n_embd = int(info.arch_value("embedding_length", 0))
    n_head = int(info.arch_value("attention.head_count", 1))
    n_head_kv = int(info.arch_value("attention.head_count_kv", n_head))
    head_k = int(info.arch_value("attention.key_length", n_embd // max(n_head, 1)))
    head_v = int(info.arch_value("attention.value_length", head_k))
    n_ff = int(info.arch_value("feed_forward_length", 4 * n_embd))
    per_token_layer = n_head_kv * (head_k + head_v) * KV_BYTES_PER_ELEMENT[plan.kv_type]
    kv = int(per_token_layer * n_layers * plan.n_ctx)
    flash = plan.kv_type != "f16"  # LlamaModel turns flash attention on for quantised KV
    attention = 0 if flash else int(1.5 * n_head * plan.n_ctx * n_ubatch * 4)
    activations = n_ubatch * (8 * n_embd + 3 * n_ff) * 4
    compute = attention + activations + RUNTIME_BYTES
    on_gpu = n_layers if plan.n_gpu_layers < 0 else min(plan.n_gpu_layers, n_layers)
    gpu_weights = sum(info.layer_bytes(i) for i in range(n_layers - on_gpu, n_layers))
    if on_gpu == n_layers:  # full offload also moves the output head
        gpu_weights += sum(t.n_bytes for t in info.tensors if not t.name.startswith("blk."))
    gpu_kv = kv * on_gpu // n_layers
    gpu_compute = attention + activations if on_gpu else 0
    repacked = sum(t.n_bytes for t in info.tensors if t.type_name in REPACKED_TYPES
                   and _layer(t.name) in range(n_layers - on_gpu))
    vram = gpu_weights + gpu_kv + gpu_compute
    ram = info.weights_bytes - gpu_weights + repacked + kv - gpu_kv + compute - gpu_compute
    return Estimate(info.weights_bytes, kv, compute, ram, vram)


def _layer(tensor_name: str) -> int:
    """The block a tensor belongs to, or -1 for embeddings and the output head."""
    parts = tensor_name.split(".")
    return int(parts[1]) if parts[0] == "blk" and parts[1].isdigit() else -1


def check_fit(
    path: Path, n_ctx: int, *, kv_type: str = "f16", n_gpu_layers: int | None = None,
    free_ram: int | None = None, vram: int | None = None,
) -> FitReport:
    """The verdict for loading ``path`` with ``n_ctx`` tokens of context on this machine.

    ``free_ram``/``vram`` override the measured free memory (to ask "would it fit there").
    """
    if kv_type not in KV_BYTES_PER_ELEMENT:
        raise AgentError(f"unknown KV cache type '{kv_type}'; use f16, q8_0 or q4_0")
    if n_ctx < 1:
        raise AgentError(f"context size must be positive, not {n_ctx}")
    info = read_gguf(path)
    ram = psutil.virtual_memory().available if free_ram is None else free_ram
    gpu = free_vram() if vram is None else vram
    if n_gpu_layers is None:
        n_gpu_layers = -1 if gpu is not None else 0
    requested = Plan(n_ctx, kv_type, n_gpu_layers if gpu is not None else 0)
    est = estimate(info, requested)
    report = FitReport("fits", requested, est, ram, gpu)
    if _fits(info, requested, ram, gpu):
        return report
    for plan in _alternatives(info, requested, gpu):
        if _fits(info, plan, ram, gpu):
            report.verdict, report.suggested = "fits-with-changes", plan
            report.changes = _describe(requested, plan)
            return report
    report.verdict = "does-not-fit"
    return report


def require_fit(path: Path, n_ctx: int, *, kv_type: str = "f16",
                n_gpu_layers: int | None = None) -> FitReport:
    """``check_fit`` for the load path: anything but "fits" is a one-line error."""
    report = check_fit(path, n_ctx, kv_type=kv_type, n_gpu_layers=n_gpu_layers)
    if report.verdict == "fits":
        return report
    fix = "pass those flags or set them in .agent.toml" if report.changes else (
        "free memory, or use a smaller model or --ctx")
    raise AgentError(f"{Path(path).name} {report.summary()}; {fix}", exit_code=report.exit_code)


def _fits(info: GGUFInfo, plan: Plan, ram: int, gpu: int | None) -> bool:
    est = estimate(info, plan)
    if est.ram + RESERVE_BYTES > ram:
        return False
    return gpu is None or est.vram <= gpu


def _alternatives(info: GGUFInfo, requested: Plan, gpu: int | None) -> list[Plan]:
    """Cheapest change first: move layers to RAM, then quantise the KV cache, then shrink ctx."""
    plans: list[Plan] = []
    if gpu is not None and requested.n_gpu_layers != 0:
        top = info.n_layers if requested.n_gpu_layers < 0 else requested.n_gpu_layers
        plans += [replace(requested, n_gpu_layers=n) for n in range(top - 1, -1, -1)]
    kv_types = [k for k in ("q8_0", "q4_0") if KV_BYTES_PER_ELEMENT[k] < KV_BYTES_PER_ELEMENT[
        requested.kv_type]]
    plans += [replace(requested, kv_type=k) for k in kv_types]
    ctx = requested.n_ctx // 2
    while ctx >= MIN_CTX:
        plans += [replace(requested, n_ctx=ctx, kv_type=k) for k in [requested.kv_type, *kv_types]]
        ctx //= 2
    return plans


def _describe(old: Plan, new: Plan) -> list[str]:
    changes = []
    if new.n_gpu_layers != old.n_gpu_layers:
        changes.append(f"--gpu-layers {new.n_gpu_layers}")
    if new.kv_type != old.kv_type:
        changes.append(f"--kv-cache {new.kv_type}")
    if new.n_ctx != old.n_ctx:
        changes.append(f"--ctx {new.n_ctx}")
    return changes


def _gib(n: int) -> str:
    return f"{n / (1 << 30):.2f} GiB"
