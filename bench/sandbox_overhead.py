"""How much the sandbox adds to a check: one ~5 s pytest suite, bare vs in the sandbox.

Generates a suite of sleeping and CPU-bound tests, times it bare (this interpreter) and through
each sandbox runner (warm: the Docker container is started before timing, as in a real run),
and prints the medians. Targets for the default backend: overhead <= 0.5 s, ratio <= 1.15.

    python bench/sandbox_overhead.py [--runs 5] [--backend docker --backend bwrap] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent.sandbox.base import Limits  # noqa: E402
from agent.sandbox.factory import open_runner  # noqa: E402

TARGET_OVERHEAD_S = 0.5
TARGET_RATIO = 1.15
TEST = '''
import time


def test_sleep_{i}():
    time.sleep(0.15)


def test_cpu_{i}():
    total = 0
    for n in range(250_000):
        total += n * n % 7
    assert total > 0
'''
COMMAND = ["python3", "-m", "pytest", "-q", "-p", "no:cacheprovider"]


def make_suite(root: Path, files: int = 22) -> Path:
    """A repo whose suite takes ~5 s on this machine: sleeps plus some CPU work."""
    tests = root / "suite" / "tests"
    tests.mkdir(parents=True)
    (root / "suite" / "pytest.ini").write_text("[pytest]\n")
    for i in range(files):
        (tests / f"test_{i:02d}.py").write_text(TEST.format(i=i))
    return root / "suite"


def bare_python() -> str:
    """Debian's python3, as in the sandbox images, when it has pytest: same interpreter build
    on both sides, so only the sandbox differs; else this interpreter."""
    probe = subprocess.run(["/usr/bin/python3", "-c", "import pytest"], capture_output=True)
    return "/usr/bin/python3" if probe.returncode == 0 else sys.executable


def time_bare(python: str, repo: Path) -> float:
    start = time.monotonic()
    done = subprocess.run([python, *COMMAND[1:]], cwd=repo, capture_output=True)
    elapsed = time.monotonic() - start
    if done.returncode != 0:
        raise SystemExit(f"bare suite failed:\n{done.stdout.decode()[-2000:]}")
    return elapsed


def time_backend(backend: str, repo: Path, runs: int) -> tuple[list[float], float]:
    """Per-check wall times through ``backend``, and the one-off cost of warming it up."""
    limits = Limits(timeout_s=120)
    times = []
    with open_runner(backend, repo=repo) as runner:
        start = time.monotonic()
        runner.run(repo, ["true"], limits)  # starts the warm container, if the backend has one
        warm_up = time.monotonic() - start
        for _ in range(runs):
            start = time.monotonic()
            result = runner.run(repo, COMMAND, limits)
            times.append(time.monotonic() - start)
            if result.exit_code != 0:
                raise SystemExit(f"{backend} suite failed:\n{result.output[-2000:]}")
    return times, warm_up


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--backend", action="append", choices=["docker", "bwrap"])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    backends = args.backend or ["docker", "bwrap"]
    with tempfile.TemporaryDirectory() as tmp:
        repo = make_suite(Path(tmp))
        python = bare_python()
        time_bare(python, repo)  # warm the page cache for a fair first bare run
        bare = [time_bare(python, repo) for _ in range(args.runs)]
        figures: dict[str, object] = {"runs": args.runs, "bare_python": python,
                                      "bare_median_s": statistics.median(bare)}
        for backend in backends:
            times, warm_up = time_backend(backend, repo, args.runs)
            median = statistics.median(times)
            overhead = median - statistics.median(bare)
            figures[backend] = {
                "median_s": round(median, 3), "overhead_s": round(overhead, 3),
                "ratio": round(median / statistics.median(bare), 3),
                "warm_up_s": round(warm_up, 3), "times_s": [round(t, 3) for t in times],
                "meets_target": overhead <= TARGET_OVERHEAD_S
                and median / statistics.median(bare) <= TARGET_RATIO,
            }
    figures["bare_median_s"] = round(float(figures["bare_median_s"]), 3)  # type: ignore[arg-type]
    if args.json:
        print(json.dumps(figures))
        return
    print(f"bare pytest suite ({python}): median {figures['bare_median_s']:.2f}s "
          f"over {args.runs} runs")
    for backend in backends:
        f = figures[backend]
        assert isinstance(f, dict)
        verdict = "meets" if f["meets_target"] else "MISSES"
        print(f"{backend:>6}: median {f['median_s']:.2f}s, overhead {f['overhead_s']:+.2f}s, "
              f"ratio {f['ratio']:.3f} ({verdict} <= {TARGET_OVERHEAD_S}s and "
              f"<= {TARGET_RATIO}); warm-up {f['warm_up_s']:.2f}s once per run")


if __name__ == "__main__":
    main()
