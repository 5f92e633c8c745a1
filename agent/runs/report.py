"""The run's closing report: Markdown for people, JSON for tools, both in the run directory."""

from __future__ import annotations

from typing import Any

from agent.graph.judge import judge, preserves_behaviour
from agent.graph.state import RunState
from agent.runs.files import RunFiles, write_atomic

MARK = {"applied": "applied", "rejected": "rejected", "failed": "failed", "rolled_back": "rolled back"}


def summary_counts(state: RunState) -> dict[str, int]:
    counts = {k: 0 for k in MARK}
    for o in state.get("outcomes", []):
        counts[o["status"]] += 1
    return counts


def tests_line(state: RunState) -> str:
    """The run's effect on the tests: its last good checkpoint against the baseline."""
    baseline, final = state.get("baseline"), state.get("reference")
    if not baseline or not final:
        return "not run"
    verdict = judge(baseline, final, preserves_behaviour(state["goal"]))
    return f"{verdict.summary()}; now {final.get('summary', '')}"


def write_report(state: RunState, files: RunFiles, branch: str) -> str:
    outcomes = state.get("outcomes", [])
    counts = summary_counts(state)
    tests = tests_line(state)
    lines = [
        f"# agent run {state['run_id']}",
        "",
        f"- Goal: {state['goal']}",
        f"- Repository: {state['repo']} (base {state['base_commit'][:10]})",
        f"- Branch: `{branch}`",
        f"- Baseline tests: {state.get('baseline', {}).get('summary', 'not run')}",
        f"- Tests after the run: {tests}",
        f"- Stages: {len(state.get('stages', []))} planned, "
        + ", ".join(f"{n} {MARK[k]}" for k, n in counts.items() if n),
        "",
        "| stage | title | outcome | tests | tries | commit |",
        "|---|---|---|---|---|---|",
    ]
    for o in outcomes:
        reason = f": {o['reason']}" if o["reason"] and o["status"] != "applied" else ""
        lines.append(
            f"| {o['stage']} | {o['title']} | {MARK[o['status']]}{reason} | {o['tests'] or '-'} "
            f"| {o['attempts']} | {o['commit'][:10] or '-'} |"
        )
    figures = [o for o in outcomes if o.get("metrics")]
    if figures:
        lines += ["", "Figures after each applied stage:"]
        lines += [f"- stage {o['stage']}: " + ", ".join(f"{k} {v}" for k, v in o["metrics"].items()) for o in figures]
    if counts["applied"]:
        lines += ["", f"To take the applied stages: `git -C {state['repo']} merge {branch}`"]
    text = "\n".join(lines) + "\n"
    write_atomic(files.dir / "report.md", text)
    data: dict[str, Any] = {
        "run_id": state["run_id"],
        "goal": state["goal"],
        "repo": state["repo"],
        "branch": branch,
        "base_commit": state["base_commit"],
        "baseline": state.get("baseline", {}).get("summary"),
        "tests": tests,
        "stages": state.get("stages", []),
        "outcomes": outcomes,
        "counts": counts,
    }
    files.write_json("report.json", data)
    return text
