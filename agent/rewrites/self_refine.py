"""Refining agent's own prompts (strategy "self"): the target is agent's own repository, the
edits stay in ``agent/prompts/`` unless the goal names another path, and a change to the
prompts reaches a person only if ``agent eval`` scores it at least as well as the current
prompts, both measured in the same run with the same model, settings and seeds."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import agent
from agent.approval import hunks
from agent.errors import AgentError, ModelReplyError
from agent.evals import load_tasks
from agent.evals.suite import SuiteScore, evaluate
from agent.graph.planning import make_plan, propose_patch
from agent.graph.services import Services
from agent.graph.state import RunState, Stage

PROMPTS = "agent/prompts/"


def self_target() -> Path:
    """agent's own repository: the directory holding its source, when it is a git clone."""
    root = Path(agent.__file__).resolve().parent.parent
    if not (root / ".git").exists():
        raise AgentError(f"{root} is not a git checkout: --self needs agent installed from a clone (pip install -e)")
    return root


def allowed(goal: str, root: Path) -> list[str]:
    """Path prefixes a stage may change: the prompts, and any existing path the goal names."""
    named = [t.strip(".,;:'\"`") for t in re.findall(r"[\w./-]*\w/[\w./-]*|[\w-]+\.\w+", goal)]
    extra = [t.rstrip("/") + ("/" if (root / t).is_dir() else "") for t in named if t and (root / t).exists()]
    return [PROMPTS, *extra]


def inside(path: str, prefixes: list[str]) -> bool:
    return any(path == p or (p.endswith("/") and path.startswith(p)) for p in prefixes)


def score_prompts(svc: Services, current: Path, proposed: Path) -> tuple[SuiteScore, SuiteScore]:
    """The eval suite with both prompt sets, same model, settings, runner and seeds."""
    tasks = load_tasks()
    model = svc.model()
    with svc.busy(f"Scoring the current and the proposed prompts with agent eval ({len(tasks)} tasks x 2)"):
        before = evaluate(tasks, model, svc.settings, svc.runner, current)
        after = evaluate(tasks, model, svc.settings, svc.runner, proposed)
    return before, after


class SelfRefine:
    name = "self"

    def plan(self, state: RunState, svc: Services, context: str) -> list[Stage]:
        root = svc.worktree.path
        ok = allowed(state["goal"], root)
        prompts = sorted(f"{PROMPTS}{p.name}" for p in (root / PROMPTS).glob("*.md"))
        stages = make_plan(state, svc, context)
        for stage in stages:
            stage["files"] = [f for f in stage["files"] if inside(f, ok)] or prompts
        return stages

    def propose(self, state: RunState, svc: Services, context: str) -> str:
        patch = propose_patch(state, svc, context)
        ok = allowed(state["goal"], svc.worktree.path)
        paths = hunks.changed_paths(patch)
        outside = [p for p in paths if not inside(p, ok)]
        if outside:
            raise ModelReplyError(
                f"{outside[0]} is outside {', '.join(ok)}: self-refinement changes the prompts only, "
                "unless the goal names another path"
            )
        if any(p.startswith(PROMPTS) for p in paths):
            self._gate_on_eval(state, svc, patch)
        return patch

    def _gate_on_eval(self, state: RunState, svc: Services, patch: str) -> None:
        n = state["current"] + 1
        with tempfile.TemporaryDirectory(prefix="agent-prompts-") as tmp:
            current, proposed = Path(tmp) / "current", Path(tmp) / "proposed"
            shutil.copytree(svc.worktree.path / PROMPTS, current)
            checkpoint = svc.worktree.head()
            try:
                svc.worktree.apply(patch)
                shutil.copytree(svc.worktree.path / PROMPTS, proposed)
            finally:
                svc.worktree.reset(checkpoint)
            before, after = score_prompts(svc, current, proposed)
        figures = {"eval_current": before.as_dict(), "eval_proposed": after.as_dict()}
        svc.files.write_json(f"stages/{n:02d}/eval.json", figures)
        if after.total < before.total:
            raise ModelReplyError(
                f"agent eval scores the proposed prompts {after.total:.2f} < {before.total:.2f} for the "
                f"current ones (model {after.model}): not put to a person"
            )

    def metrics(self, state: RunState, svc: Services) -> dict[str, Any]:
        return self.review_figures(state, svc)

    def review_figures(self, state: RunState, svc: Services) -> dict[str, Any]:
        """Both prompt sets' eval scores: what the reviewer of a prompt change most needs."""
        path = svc.files.dir / "stages" / f"{state['current'] + 1:02d}" / "eval.json"
        if not path.is_file():
            return {}
        data = json.loads(path.read_text())
        cur, new = data["eval_current"], data["eval_proposed"]
        return {
            "eval_model": new["model"],
            "eval_current_prompts": f"{cur['total']:.2f}/{cur['max']}",
            "eval_proposed_prompts": f"{new['total']:.2f}/{new['max']}",
        }
