"""How many stages agent plans per goal on the evaluation suite, for one or two agent commands.

Each task's repository is made as ``agent eval`` makes it (generated files included) and
``agent refine`` is started on it with the task's goal and settings; as soon as the run prints
its plan ("Plan: N stage(s)" and one line a stage) the run is stopped, so only packing, the
baseline tests and planning are paid for. Pass ``--before CMD`` to plan the same goals with
another agent (an older checkout) in the same run: the table then shows both side by side.

    python bench/stages_per_goal.py --model qwen2.5-coder-1.5b [--before "PY -m agent"] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout

from agent.evals import Task, load_tasks  # noqa: E402
from agent.evals.suite import materialise  # noqa: E402
from bench.solve_tools import stop_group  # noqa: E402

PLAN_LINE = re.compile(r"^Plan: (\d+) stage\(s\)$")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tasks", type=Path, default=ROOT / "agent" / "evals" / "tasks",
                   help="folder of evaluation tasks (each: task.toml and repo/)")
    p.add_argument("--model", default="qwen2.5-coder-1.5b", help="bundled model name or GGUF path, for both")
    p.add_argument("--agent-cmd", default=str(Path(sys.executable).parent / "agent"),
                   help="command that runs agent (default: this venv's)")
    p.add_argument("--before", help="a second agent command to compare with, e.g. an older checkout's")
    p.add_argument("--plan-seconds", type=float, default=300, help="give up on one task's plan after this long")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    args = p.parse_args(argv)
    if not args.tasks.is_dir():
        p.error(f"no task folder {args.tasks}: pass --tasks DIR (agent's evaluation tasks)")
    return args


def task_flags(task: Task) -> list[str]:
    """The settings the task gives its runs (as ``agent eval`` applies them), as refine's flags."""
    flags = {"strategy": "--strategy", "max_stages": "--max-stages", "test_command": "--test-command"}
    out: list[str] = []
    for key, value in task.settings.items():
        out += [flags[key], shlex.join(value) if isinstance(value, list) else str(value)]
    return out


def planned(agent_cmd: list[str], model: str, task: Task, repo: Path, home: Path, cap: float) -> dict[str, Any]:
    """Start ``agent refine`` and stop it once its plan is printed: the stage titles and seconds."""
    env = {**os.environ, "AGENT_HOME": str(home)}
    command = [*agent_cmd, "refine", str(repo), "--goal", task.goal, "--model", model, "--sandbox", "none",
               "--no-color", *task_flags(task)]
    start = time.monotonic()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            text=True, env=env, start_new_session=True, cwd=repo.parent)  # not a checkout's
    # own folder: ``python -m agent`` would import the agent in the current directory first
    titles: list[str] = []
    count: int | None = None
    watchdog = threading.Timer(cap, stop_group, (proc, 0))  # a run that never prints its plan
    watchdog.start()
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if count is None and (m := PLAN_LINE.match(line.strip())):
                count = int(m.group(1))
            elif count is not None:
                titles.append(line.strip())
            if count is not None and len(titles) == count:
                break
    finally:
        watchdog.cancel()
        stop_group(proc, 0)  # the run and all it started (a model server, test processes)
    seconds = time.monotonic() - start
    return {"stages": count, "titles": titles, "seconds": round(seconds, 1)}


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    sides = {"after": shlex.split(args.agent_cmd)}
    if args.before:
        sides = {"before": shlex.split(args.before), **sides}
    rows = []
    with tempfile.TemporaryDirectory(prefix="stages-") as tmp:
        for task in load_tasks(root=args.tasks):
            row: dict[str, Any] = {"task": task.name}
            for side, cmd in sides.items():
                work = Path(tmp) / side / task.name
                work.mkdir(parents=True)
                row[side] = planned(cmd, args.model, task, materialise(task, work / "repo"), Path(tmp) / side / "home",
                                    args.plan_seconds)
            rows.append(row)
            if not args.json:
                print("  ".join(f"{side}: {row[side]['stages']} ({row[side]['seconds']:.0f}s)" for side in sides),
                      task.name, flush=True)
    summary = {side: totals([r[side] for r in rows]) for side in sides}
    if args.json:
        print(json.dumps({"tasks": rows, "summary": summary}, indent=2))
        return
    for side, s in summary.items():
        print(f"{side}: {s['planned']} of {s['tasks']} planned; mean {s['mean_stages']:.2f} stages per goal; "
              f"one stage: {s['one_stage']}; stages {s['histogram']}; mean {s['mean_seconds']:.0f}s to the plan")


def totals(results: list[dict[str, Any]]) -> dict[str, Any]:
    counts = [r["stages"] for r in results if r["stages"] is not None]
    histogram: dict[int, int] = {}
    for c in counts:
        histogram[c] = histogram.get(c, 0) + 1
    return {"tasks": len(results), "planned": len(counts),
            "mean_stages": sum(counts) / len(counts) if counts else 0.0,
            "one_stage": histogram.get(1, 0), "histogram": dict(sorted(histogram.items())),
            "mean_seconds": sum(r["seconds"] for r in results) / len(results) if results else 0.0}


if __name__ == "__main__":
    main()
