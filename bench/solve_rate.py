"""Solve rate of agent against Aider on the same seeded Exercism-style tasks, in one run.

Both tools get the same goal (the task's docs plus one line naming the stub), the same GGUF,
context, thread count and per-task wall-clock cap; tasks alternate agent, Aider so load from
other processes falls on both alike. A task is solved when ``python3 -m pytest`` passes, judged
outside the tools in agent's sandbox with the original tests restored. Prints solved/seconds per
task and in total, both solve rates and their ratio, mean seconds per task and its ratio.

    python bench/solve_rate.py --n 10 --seed 1 --task-seconds 300 [--json] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, NoReturn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout

from agent.llm.llama import default_threads  # noqa: E402
from bench.solve_tasks import Task, load_tasks, pick  # noqa: E402
from bench.solve_tools import LlamaServer, Outcome, Settings, run_agent, run_aider  # noqa: E402

TOOLS = ("agent", "aider")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tasks", type=Path, default=ROOT.parent / "shared" / "benchmarks" / "exercism-python",
                   help="folder of tasks (NAME.py, NAME_test.py, docs/*.md each)")
    p.add_argument("--n", type=int, default=20, help="how many tasks")
    p.add_argument("--seed", type=int, default=1, help="seed of the task shuffle")
    p.add_argument("--model", default="qwen2.5-coder-1.5b", help="GGUF path or bundled model name")
    p.add_argument("--aider", type=Path, default=None, help="aider executable (default: aider on PATH)")
    p.add_argument("--agent-cmd", default=str(Path(sys.executable).parent / "agent"),
                   help="command that runs agent (default: this venv's)")
    p.add_argument("--task-seconds", type=float, default=300, help="wall-clock cap per task, for each tool")
    p.add_argument("--threads", type=int, help="llama.cpp threads for both tools (default: what agent picks "
                   "at the start: $AGENT_THREADS, else the physical cores other processes leave idle)")
    p.add_argument("--only", choices=TOOLS, help="run one tool only")
    p.add_argument("--out", type=Path, help="keep per-task logs, files and results.json in this folder")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    args = p.parse_args(argv)
    if args.threads is None:
        args.threads = default_threads()  # spinning threads on a busy core collapse; both tools get the same
    if args.n < 1 or args.task_seconds <= 0 or args.threads < 1:
        p.error("--n, --task-seconds and --threads must be positive")
    return args


def resolve_model(agent_cmd: list[str], model: str) -> Path:
    """A GGUF path as given, else the bundled model's file as ``agent models path`` names it."""
    if model.endswith(".gguf"):
        path = Path(model).expanduser().resolve()
        if not path.is_file():
            raise SystemExit(f"no model file {path}: pass an existing .gguf or a bundled name to --model")
        return path
    proc = subprocess.run([*agent_cmd, "models", "path", model], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"model {model}: {proc.stderr.strip() or proc.stdout.strip()} "
                         f"(try: agent models pull {model})")
    return Path(proc.stdout.strip().splitlines()[-1])


def check_tools(args: argparse.Namespace, agent_cmd: list[str]) -> None:
    """Stop before any task when a tool that will run is missing, with how to get it."""
    if args.only != "aider" and shutil.which(agent_cmd[0]) is None:
        raise SystemExit(f"agent command {agent_cmd[0]} not found: pass --agent-cmd")
    if args.only == "agent":
        return
    found = args.aider or shutil.which("aider")
    if found is None or not os.access(found, os.X_OK):
        where = f"at {args.aider}" if args.aider else "on PATH"
        raise SystemExit(f"no aider {where}: install aider-chat in a venv of its own (python3 -m venv DIR && "
                         "DIR/bin/pip install aider-chat) and pass --aider DIR/bin/aider")
    args.aider = Path(found)


def totals(rows: list[dict[str, Any]], tool: str) -> dict[str, Any] | None:
    """Solved count, solve rate and mean seconds of one tool over the finished tasks."""
    outcomes = [r[tool] for r in rows if tool in r]
    if not outcomes:
        return None
    solved = sum(1 for o in outcomes if o["solved"])
    return {"solved": solved, "tasks": len(outcomes), "solve_rate": round(solved / len(outcomes), 3),
            "mean_seconds": round(sum(o["seconds"] for o in outcomes) / len(outcomes), 1)}


def ratio(agent: dict[str, Any] | None, aider: dict[str, Any] | None, key: str) -> float | None:
    """agent's figure over Aider's, or None when a side did not run or Aider's is 0."""
    return round(agent[key] / aider[key], 2) if agent and aider and aider[key] else None


def summary(rows: list[dict[str, Any]], meta: dict[str, Any]) -> dict[str, Any]:
    agent, aider = totals(rows, "agent"), totals(rows, "aider")
    return {**meta, "tasks": rows, "agent": agent, "aider": aider,
            "solve_rate_ratio": ratio(agent, aider, "solve_rate"), "seconds_ratio": ratio(agent, aider, "mean_seconds")}


def table(result: dict[str, Any]) -> str:
    """Per task, then in total: solved / seconds of each tool that ran, and the two ratios."""
    tools = [t for t in TOOLS if result[t]]
    width = max([len(r["task"]) for r in result["tasks"]] + [5])
    lines = [f"{'task':<{width}}  " + "  ".join(f"{t:>16}" for t in tools)]
    for row in result["tasks"]:
        cells = [f"{'solved' if row[t]['solved'] else 'failed':>8} {row[t]['seconds']:>6.0f} s"
                 if t in row else f"{'-':>16}" for t in tools]
        lines.append(f"{row['task']:<{width}}  " + "  ".join(cells))
    for t in tools:
        s = result[t]
        lines.append(f"{t}: solved {s['solved']}/{s['tasks']} (rate {s['solve_rate']:.2f}), "
                     f"mean {s['mean_seconds']:.0f} s per task")
    if len(tools) == 2:
        rate, secs = result["solve_rate_ratio"], result["seconds_ratio"]
        lines.append(f"solve rate agent/Aider: {'n/a (Aider solved none)' if rate is None else f'{rate:.2f}x'}; "
                     f"mean seconds agent/Aider: {'n/a' if secs is None else f'{secs:.2f}x'}")
    if result.get("stopped_early"):
        lines.append(f"stopped early: {len(result['tasks'])} of {result['n']} tasks finished")
    return "\n".join(lines)


def run_task(task: Task, args: argparse.Namespace, cfg: Settings, server: LlamaServer | None,
             work: Path) -> dict[str, Any]:
    """One task: agent, then Aider (whichever run), each in its own folder with its own log."""
    row: dict[str, Any] = {"task": task.name}
    for tool in TOOLS:
        if args.only not in (None, tool):
            continue
        log = work / f"{tool}.log"
        outcome: Outcome = (run_agent(cfg, task, work, log) if tool == "agent"
                            else run_aider(cfg, server, task, work, log))  # type: ignore[arg-type]
        row[tool] = outcome.as_dict()
        print(f"{task.name}: {tool} {'solved' if outcome.solved else 'failed'} in {outcome.seconds:.0f} s"
              + (" (cap)" if outcome.timed_out else "") + (f"; {outcome.notes[-1]}" if outcome.notes else ""),
              file=sys.stderr, flush=True)
    return row


def _interrupted(*_: object) -> NoReturn:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    agent_cmd = shlex.split(args.agent_cmd)
    check_tools(args, agent_cmd)
    tasks = pick(load_tasks(args.tasks.resolve()), args.n, args.seed)
    gguf = resolve_model(agent_cmd, args.model)
    signal.signal(signal.SIGTERM, _interrupted)  # a stopped bench still prints what finished
    scratch = Path(tempfile.mkdtemp(prefix="solve-rate-"))
    out = args.out.resolve() if args.out else scratch / "out"
    out.mkdir(parents=True, exist_ok=True)
    cfg = Settings(agent_cmd, args.aider, gguf, args.threads, args.task_seconds, scratch / "agent-home")
    meta = {"command": shlex.join(["python", "bench/solve_rate.py", *(sys.argv[1:] if argv is None else argv)]),
            "tasks_dir": str(args.tasks), "n": args.n, "seed": args.seed, "model": str(gguf),
            "threads": args.threads, "task_seconds": args.task_seconds,
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    rows: list[dict[str, Any]] = []
    server = None if args.only == "agent" else LlamaServer(gguf, args.threads, out / "llama-server.log")
    stopped = False
    try:
        if server is not None:
            server.start()
        for task in tasks:
            rows.append(run_task(task, args, cfg, server, out / task.name))
            (out / "results.json").write_text(json.dumps(summary(rows, meta), indent=1))
    except KeyboardInterrupt:
        stopped = True
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    result = {**summary(rows, meta), "stopped_early": stopped}
    if args.out:
        (out / "results.json").write_text(json.dumps(result, indent=1))
    print(json.dumps(result, indent=1) if args.json else table(result))
    return 130 if stopped else 0


if __name__ == "__main__":
    sys.exit(main())
