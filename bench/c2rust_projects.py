"""C to Rust on real C projects: the model's path against C2Rust alone, per project.

Each PATH is a C project with a Makefile or CMake build and its own tests (e.g. a Debian source
package unpacked by ``apt-get source``). It is translated twice in a scratch copy, in the Docker
sandbox: with the model, and with no usable reply at all, which is C2Rust alone (the floor every
stage falls back on); the model's crate then goes through the safety stages ("make the
transpiled functions safe", one per function C2Rust wrote). Per project it prints functions,
% in Rust, % model-written and safe, lines inside ``unsafe`` and raw-pointer types for both
(the model's after its safety stages), whether the tests were green at every translation stage,
the safety stages applied, wall-clock and model calls. Needs the c2rust image for the floor.

    python bench/c2rust_projects.py PATH [PATH ...] [--model qwen2.5-coder-1.5b] [--max-stages 60]
                                            [--max-diff-lines N] [--only with_model|c2rust_alone]
                                            [--from-c2rust] [--keep DIR] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from c2rust_demo import run  # noqa: E402


def _last_figures(stages: list[dict[str, Any]]) -> dict[str, Any]:
    with_figures = [s for s in stages if "functions_translated" in s]
    return with_figures[-1] if with_figures else {}


def summary(result: dict[str, Any]) -> dict[str, Any]:
    """One run's figures: how far it got and how safe the result is, after its safety stages
    if it ran them."""
    safety = result.get("safety", {"stages": [], "passed": 0, "planned": 0, "seconds": 0, "model_calls": 0})
    last = _last_figures(result["stages"] + safety["stages"])
    done, total = (int(n) for n in last.get("functions_translated", "0/0").split("/"))
    applied = [s for s in result["stages"] if s["status"] == "applied"]
    return {
        "functions": total,
        "pct_rust": round(100 * done / total) if total else 0,
        "pct_safe": round(100 * last.get("functions_model_safe", 0) / total) if total else 0,
        "unsafe_lines": last.get("unsafe_lines", 0),
        "raw_pointers": last.get("raw_pointers", 0),
        "stages_applied": f"{len(applied)}/{result['planned']}",
        "tests_green_every_stage": all(s["status"] == "applied" for s in result["stages"]),
        "safety_stages_applied": f"{safety['passed']}/{safety['planned']}",
        "seconds": result["seconds"] + safety["seconds"],
        "model_calls": result["model_calls"] + safety["model_calls"],
    }


SIDES = ("with_model", "c2rust_alone")


def project(path: Path, model: str, max_stages: int, ctx: int, max_diff_lines: int | None = None,
            sides: tuple[str, ...] = SIDES, from_c2rust: bool = False, keep: Path | None = None) -> dict[str, Any]:
    """Both sides' figures, or those of the ``sides`` asked for (two runs side by side, one core each).
    With ``from_c2rust`` the model's side starts from C2Rust alone's translation and only makes it
    safe (C2SaferRust's setting); ``keep`` keeps each side's scratch copy as ``PROJECT-SIDE`` in it."""
    result: dict[str, Any] = {"project": path.name, "model": model}
    for side in sides:  # C2Rust alone is the model path given no usable reply
        result[side] = summary(run(model, max_stages, "docker", ctx, source=path, safety=side == "with_model",
                                   from_c2rust=from_c2rust or side == "c2rust_alone", max_diff_lines=max_diff_lines,
                                   keep=keep / f"{path.name}-{side}" if keep else None))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path, help="C projects (Makefile or CMake, with tests)")
    parser.add_argument("--model", default="qwen2.5-coder-1.5b")
    parser.add_argument("--max-stages", type=int, default=60,
                        help="stages of the translation, and at most as many safety stages after it")
    parser.add_argument("--ctx", type=int, default=8192)
    parser.add_argument("--max-diff-lines", type=int,
                        help="the projects' own policy limit on a stage's diff, as their user would set it "
                             "(the shipped policy's is 1000; C2Rust can expand one C function past it)")
    parser.add_argument("--only", choices=SIDES, help="run one side")
    parser.add_argument("--from-c2rust", action="store_true",
                        help="the model's side only makes C2Rust alone's translation safe (C2SaferRust's setting)")
    parser.add_argument("--keep", type=Path, help="keep each side's scratch copy in this folder, as PROJECT-SIDE")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    sides = (args.only,) if args.only else SIDES
    results = [project(p.resolve(), args.model, args.max_stages, args.ctx, args.max_diff_lines, sides,
                       args.from_c2rust, args.keep) for p in args.paths]
    if args.json:
        print(json.dumps(results))
        return
    for r in results:
        print(f"{r['project']} ({r['model']}: {' vs '.join(sides)}):")
        for key in r[sides[0]]:
            print(f"  {key:24}" + "".join(f" {r[side][key]!s:>10}" for side in sides))


if __name__ == "__main__":
    main()
