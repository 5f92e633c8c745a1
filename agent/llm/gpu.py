"""What GPU this llama.cpp build can use, and how much of its memory is free.

A leaf: the fit check, the embedded backend and ``agent doctor`` all ask it, and it asks
nothing of them.
"""

from __future__ import annotations

import shutil
import subprocess

MiB = 1 << 20


def gpu_offload_available() -> bool:
    """True when this llama.cpp build has a GPU backend (CUDA, Metal, Vulkan, ...)."""
    import llama_cpp

    return bool(llama_cpp.llama_supports_gpu_offload())


def free_vram() -> int | None:
    """Free VRAM in bytes, or None when this llama.cpp build cannot offload to a GPU."""
    if not gpu_offload_available():
        return None
    smi = shutil.which("nvidia-smi")
    if smi:
        out = subprocess.run(
            [smi, "--query-gpu=memory.free", "--format=csv,noheader,nounits"],
            capture_output=True, text=True, timeout=10,
        )
        values = [int(v) for v in out.stdout.split() if v.isdigit()]
        if out.returncode == 0 and values:
            return values[0] * MiB
    return None  # unified memory (Metal) or unknown: offloaded layers are counted in RAM
