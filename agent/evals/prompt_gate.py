"""Self-refinement's judge: the evaluation suite scores the current and the proposed prompt
folders in the same run, with the same model, settings and seeds, and the proposal passes only
when it beats the current prompts on the held-out tasks beyond the noise without a fall on the
tuning tasks (``agent.evals.compare.gate``). Each prompt set's score is cached in the run folder
by its hash, so a resumed or repaired stage never scores it again.

The graph calls it through ``Services.prompt_gate``; a command hands it in, since the suite
starts runs of its own and so sits above the graph."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agent.evals import load_tasks, tasks_digest
from agent.evals.compare import gate
from agent.evals.history import ScoreCache, append
from agent.evals.scores import SuiteScore
from agent.evals.suite import evaluate
from agent.graph.services import Services
from agent.prompts import prompts_hash


def score_prompts(svc: Services, prompts: Path, what: str) -> SuiteScore:
    """The eval suite with ``prompts``: from the run's cache when this prompt set was scored
    already with the same model, tasks and sampling, else measured, cached and kept in the history.
    Fewer repeats (``gate_repeat``) cost the gate power, not safety: under "both prompt sets are
    as good" a task is as likely won as lost however often it runs, so the sign test's p holds."""
    tasks = load_tasks()
    repeat = svc.settings.gate_repeat
    model = svc.model()
    cache = ScoreCache(svc.files.dir / "evals")
    key = ScoreCache.key(model.name, prompts_hash(prompts), tasks_digest(tasks), repeat, svc.settings.seed)
    score = cache.get(key)
    if score is None:
        with svc.busy(f"Scoring the {what} prompts with agent eval ({len(tasks)} tasks x {repeat})"):
            score = evaluate(tasks, model, svc.settings, svc.runner, prompts, repeat)
        append(score)
        cache.put(key, score)
    return score


def judge_prompts(svc: Services, current: Path, proposed: Path) -> tuple[bool, str, dict[str, Any]]:
    """(passes, the figures that decided it, both scores and the verdict for the stage's record)."""
    before = score_prompts(svc, current, "current")
    after = score_prompts(svc, proposed, "proposed")
    passes, figures = gate(before, after)
    record = {"eval_current": before.as_dict(), "eval_proposed": after.as_dict(), "gate": figures}
    return passes, f"{figures} (model {after.model})", record
