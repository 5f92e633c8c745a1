"""Scale benchmark: our context engine against Aider's RepoMap on large real trees.

For each tree (a temp git copy, so caches start empty): cold time (build the map and pack for
the budget, no cache), warm time (cache present, nothing changed) and peak memory, for ours
and for Aider's RepoMap (run from its own venv, never ours). Every run is a fresh process, so
import time counts for both. Trees: ``stdlib`` (this interpreter's standard library) or a path.

    python bench/context_scale.py --tree stdlib --tree /tmp/csrc/redis-7.0.15 [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AIDER_DRIVER = r'''
import json, os, resource, subprocess, sys, time
t0 = time.perf_counter()
from aider.io import InputOutput
from aider.repomap import RepoMap

class Model:  # same approximation as ours under --tokenizer approx: 3 characters a token
    name = "bench"
    def token_count(self, text):
        return (len(text if isinstance(text, str) else str(text)) + 2) // 3

root, budget = sys.argv[1], int(sys.argv[2])
out = subprocess.run(["git", "ls-files"], cwd=root, capture_output=True, text=True).stdout
files = [os.path.join(root, p) for p in out.splitlines()]
io = InputOutput(pretty=False, yes=True, fancy_input=False)
rm = RepoMap(map_tokens=budget, root=root, main_model=Model(), io=io, refresh="always")
text = rm.get_ranked_tags_map([], files, budget, set(), set()) or ""
usage = resource.getrusage
print(json.dumps({"seconds": time.perf_counter() - t0, "chars": len(text),
                  "rss_mb": usage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "children_rss_mb": usage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
'''


def _git_copy(src: Path, dest: Path) -> Path:
    """``src`` copied to a fresh git repository (no history needed: the engine reads the tree)."""
    ignore = shutil.ignore_patterns(".git", "__pycache__", "*.pyc", "site-packages", ".agent",
                                    ".aider*")
    shutil.copytree(src, dest, ignore=ignore, symlinks=True)
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "tree"]):
        subprocess.run(["git", "-c", "user.email=b@b", "-c", "user.name=b", *args],
                       cwd=dest, check=True, capture_output=True)
    return dest


def _tree(spec: str, work: Path) -> tuple[str, Path]:
    if spec == "stdlib":
        return "stdlib", _git_copy(Path(sysconfig.get_paths()["stdlib"]), work / "stdlib")
    src = Path(spec)
    return src.name, _git_copy(src, work / src.name)


def _run(cmd: list[str]) -> dict[str, float]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"benchmark step failed: {' '.join(cmd[:4])}...\n{proc.stderr[-2000:]}")
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    report["wall"] = wall
    return report


def _ours(repo: Path, budget: int, tokenizer: str) -> dict[str, float]:
    return _run([sys.executable, __file__, "--_ours", str(repo), str(budget), tokenizer])


def _aider(python: Path, repo: Path, budget: int, driver: Path) -> dict[str, float]:
    return _run([str(python), str(driver), str(repo), str(budget)])


def ours_once(repo: str, budget: int, tokenizer: str) -> None:
    """Child process: one pack, printed as JSON (timings from inside, memory of self + workers)."""
    t0 = time.perf_counter()
    sys.path.insert(0, str(ROOT))
    from agent.context.pack import pack_repository
    from agent.context.tokens import ApproxCounter, GGUFCounter

    counter = ApproxCounter() if tokenizer == "approx" else GGUFCounter(Path(tokenizer))
    packed = pack_repository(Path(repo), "", budget, counter)
    print(json.dumps({
        "seconds": time.perf_counter() - t0, "tokens": packed.tokens,
        "parsed": packed.stats["parsed"], "files": packed.stats["files"],
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "children_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tree", action="append", help="'stdlib' or a directory (repeatable)")
    ap.add_argument("--budget", type=int, default=32_000)
    ap.add_argument("--tokenizer", default="approx", help="'approx' or a GGUF path (ours only)")
    ap.add_argument("--aider-python", type=Path, default=None,
                    help="python of a venv with aider-chat: Aider's RepoMap is measured beside ours")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--_ours", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args._ours:
        ours_once(args._ours[0], int(args._ours[1]), args._ours[2])
        return
    results = []
    with tempfile.TemporaryDirectory(prefix="ctxbench-") as tmp:
        work = Path(tmp)
        driver = work / "aider_driver.py"
        driver.write_text(AIDER_DRIVER)
        use_aider = args.aider_python is not None
        for spec in args.tree or ["stdlib"]:
            name, repo = _tree(spec, work)
            files = len(subprocess.run(["git", "ls-files"], cwd=repo, capture_output=True,
                                       text=True).stdout.splitlines())
            row: dict[str, object] = {"tree": name, "files": files, "budget": args.budget,
                                      "cpus": os.cpu_count()}
            row["ours_cold"] = _ours(repo, args.budget, args.tokenizer)
            row["ours_warm"] = _ours(repo, args.budget, args.tokenizer)
            if use_aider:
                row["aider_cold"] = _aider(args.aider_python, repo, args.budget, driver)
                row["aider_warm"] = _aider(args.aider_python, repo, args.budget, driver)
            results.append(row)
            if not args.json:
                _print_row(row)
    if args.json:
        print(json.dumps({"tokenizer": args.tokenizer, "trees": results}))


def _print_row(row: dict[str, object]) -> None:
    def fmt(key: str) -> str:
        r = row.get(key)
        if not isinstance(r, dict):
            return f"{key:11s} n/a"
        mem = max(r["rss_mb"], r["children_rss_mb"])
        return f"{key:11s} wall {r['wall']:7.2f}s  inside {r['seconds']:7.2f}s  peak {mem:6.0f} MB"

    print(f"== {row['tree']}: {row['files']} files, budget {row['budget']}, {row['cpus']} cpus")
    for key in ("ours_cold", "ours_warm", "aider_cold", "aider_warm"):
        print("  " + fmt(key))
    oc, ac = row.get("ours_cold"), row.get("aider_cold")
    if isinstance(oc, dict) and isinstance(ac, dict):
        print(f"  cold speed-up vs Aider: {ac['wall'] / oc['wall']:.1f}x")


if __name__ == "__main__":
    main()
