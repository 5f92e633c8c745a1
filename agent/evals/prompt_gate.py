"""Self-refinement's judge: the evaluation suite scores the current and the proposed prompt
folders in the same run, with the same model, settings and seeds, and the proposal passes only
when it beats the current prompts on the held-out tasks beyond the noise without a fall on the
tuning tasks (``agent.evals.compare.gate``). The two sets run side by side, task by task, so
what the machine does meanwhile falls on both alike; each run is cached by what decides it, so
a resumed or repaired stage never runs it again. The cache lives in the user's agent home, not
in the run folder: whoever can write the run folder (ADR 0010) could plant winning scores there.

The graph calls it through ``Services.prompt_gate``; a command hands it in, since the suite
starts runs of its own and so sits above the graph."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agent.evals import load_tasks
from agent.evals.compare import gate
from agent.evals.history import RunCache, append
from agent.evals.suite import evaluate_side_by_side
from agent.graph.services import Services
from agent.home import data_home


def judge_prompts(svc: Services, current: Path, proposed: Path) -> tuple[bool, str, dict[str, Any]]:
    """(passes, the figures that decided it, both scores and the verdict for the stage's record).
    Fewer repeats (``gate_repeat``) cost the gate power, not safety: under "both prompt sets are
    as good" a task is as likely won as lost however often it runs, so the sign test's p holds."""
    tasks = load_tasks()
    repeat = svc.settings.gate_repeat
    with svc.busy(f"Scoring the current and the proposed prompts side by side with agent eval "
                  f"({len(tasks)} tasks x {repeat} each)"):
        cache = RunCache(data_home() / "evals" / "gate" / svc.files.run_id)
        before, after, measured = evaluate_side_by_side(
            tasks, svc.model(), svc.settings, svc.runner, (current, proposed), repeat, cache)
    if measured:
        append(before)
        append(after)
    passes, figures = gate(before, after)
    record = {"eval_current": before.as_dict(), "eval_proposed": after.as_dict(), "gate": figures}
    return passes, f"{figures} (model {after.model})", record
