"""Read a GGUF file's header (metadata and tensor table) without loading any weights.

``gguf.GGUFReader`` parses every tokenizer entry into objects and takes seconds; this reader
walks the same layout (type codes and quant sizes come from the ``gguf`` package) and skips
what it does not need, so checking a file before loading it costs milliseconds. It also
catches the failures llama.cpp reports badly: not a GGUF file, and a truncated file.
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gguf import GGML_QUANT_SIZES, GGMLQuantizationType, GGUFValueType

from agent.errors import AgentError

_SCALAR = {
    GGUFValueType.UINT8: "<B", GGUFValueType.INT8: "<b", GGUFValueType.UINT16: "<H",
    GGUFValueType.INT16: "<h", GGUFValueType.UINT32: "<I", GGUFValueType.INT32: "<i",
    GGUFValueType.FLOAT32: "<f", GGUFValueType.BOOL: "<?", GGUFValueType.UINT64: "<Q",
    GGUFValueType.INT64: "<q", GGUFValueType.FLOAT64: "<d",
}


@dataclass(frozen=True)
class Tensor:
    name: str
    type_name: str
    n_bytes: int


@dataclass
class GGUFInfo:
    """What the header says: metadata (arrays summarised by length) and the tensor table."""

    path: Path
    file_size: int
    metadata: dict[str, Any]
    tensors: list[Tensor] = field(default_factory=list)

    @property
    def arch(self) -> str:
        return str(self.metadata.get("general.architecture", "unknown"))

    def arch_value(self, key: str, default: Any = None) -> Any:
        return self.metadata.get(f"{self.arch}.{key}", default)

    @property
    def weights_bytes(self) -> int:
        return sum(t.n_bytes for t in self.tensors)

    @property
    def n_layers(self) -> int:
        return int(self.arch_value("block_count", 0))

    def layer_bytes(self, layer: int) -> int:
        prefix = f"blk.{layer}."
        return sum(t.n_bytes for t in self.tensors if t.name.startswith(prefix))


class _Cursor:
    def __init__(self, buf: mmap.mmap) -> None:
        self.buf, self.pos = buf, 0

    def unpack(self, fmt: str) -> Any:
        size = struct.calcsize(fmt)
        if self.pos + size > len(self.buf):
            raise EOFError
        (value,) = struct.unpack_from(fmt, self.buf, self.pos)
        self.pos += size
        return value

    def string(self) -> str:
        n = self.unpack("<Q")
        if self.pos + n > len(self.buf):
            raise EOFError
        raw = self.buf[self.pos : self.pos + n]
        self.pos += n
        return raw.decode("utf-8", errors="replace")

    def value(self, vtype: int) -> Any:
        vt = GGUFValueType(vtype)
        if vt == GGUFValueType.STRING:
            return self.string()
        if vt == GGUFValueType.ARRAY:
            item_type, count = self.unpack("<I"), self.unpack("<Q")
            if GGUFValueType(item_type) == GGUFValueType.STRING:
                for _ in range(count):  # skip each length-prefixed string
                    length = self.unpack("<Q")
                    self.pos += length
            else:
                self.pos += struct.calcsize(_SCALAR[GGUFValueType(item_type)]) * count
            if self.pos > len(self.buf):
                raise EOFError
            return count  # arrays (vocabulary, merges) are summarised by their length
        return self.unpack(_SCALAR[vt])


def read_gguf(path: Path) -> GGUFInfo:
    """Parse the header of ``path``; a missing, non-GGUF or truncated file is a one-line error."""
    path = Path(path)
    if not path.is_file():
        raise AgentError(f"model file not found: {path}; check the path or run 'agent models pull'")
    size = path.stat().st_size
    if size < 24:
        raise AgentError(f"{path} is not a GGUF model (only {size} bytes); use a .gguf file")
    with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as buf:
        if buf[:4] != b"GGUF":
            raise AgentError(f"{path} is not a GGUF model (bad magic); use a .gguf file")
        try:
            info, data_end = _parse(path, size, _Cursor(buf))
        except (EOFError, ValueError, KeyError, struct.error):
            raise AgentError(
                f"{path} has a corrupt or truncated GGUF header; download it again"
            ) from None
    if data_end > size:
        raise AgentError(
            f"{path} is truncated ({size} of {data_end} bytes); download or pull it again"
        )
    return info


def _parse(path: Path, size: int, cur: _Cursor) -> tuple[GGUFInfo, int]:
    cur.pos = 4
    version = cur.unpack("<I")
    if version not in (2, 3):
        raise ValueError(f"unsupported GGUF version {version}")
    n_tensors, n_kv = cur.unpack("<Q"), cur.unpack("<Q")
    metadata: dict[str, Any] = {"GGUF.version": version}
    for _ in range(n_kv):
        key = cur.string()
        metadata[key] = cur.value(cur.unpack("<I"))
    raw: list[tuple[str, int, int, int]] = []
    for _ in range(n_tensors):
        name = cur.string()
        dims = [cur.unpack("<Q") for _ in range(cur.unpack("<I"))]
        ttype, offset = cur.unpack("<I"), cur.unpack("<Q")
        elements = 1
        for d in dims:
            elements *= d
        raw.append((name, ttype, elements, offset))
    align = int(metadata.get("general.alignment", 32))
    data_offset = (cur.pos + align - 1) // align * align
    tensors, data_end = [], data_offset
    for name, ttype, elements, offset in raw:
        qtype = GGMLQuantizationType(ttype)
        block, type_size = GGML_QUANT_SIZES[qtype]
        n_bytes = elements // block * type_size
        tensors.append(Tensor(name, qtype.name, n_bytes))
        data_end = max(data_end, data_offset + offset + n_bytes)
    return GGUFInfo(path, size, metadata, tensors), data_end
