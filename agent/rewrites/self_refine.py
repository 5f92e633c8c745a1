"""Refining agent's own prompts (strategy "self"): the target is agent's own repository, the
edits stay in ``agent/prompts/`` unless the goal names another path, and a change to the
prompts reaches a person only if the run's prompt gate (``agent.evals.prompt_gate``, handed in
by the command) says the proposed prompts beat the current ones on the held-out tasks beyond
the noise, without a fall on the tuning tasks. A proposed template that lost or gained a
placeholder is refused here, before anything is evaluated."""

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
from agent.graph.planning import make_plan, propose_patch
from agent.graph.services import Services
from agent.graph.state import RunState, Stage
from agent.prompts import mismatch, placeholders

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


def broken_template(current: Path, proposed: Path) -> str:
    """Why the proposed prompt folder cannot replace the current one; "" when every template the
    code renders keeps exactly its placeholders."""
    for old in sorted(current.glob("*.md")):
        new = proposed / old.name
        if not new.is_file():
            return f"prompt template {old.name} was deleted: the code renders it; restore it"
        problem = mismatch(old.stem, new.read_text(encoding="utf-8"), placeholders(old.read_text(encoding="utf-8")))
        if problem:
            return problem
    return ""


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
        """A prompt change as search/replace edits, whatever ``edit_format`` says (the nested eval
        runs keep the setting): asked for a prompt template whole, the 1.5B wrote it back
        unchanged 4 times in 4, at temperatures 0 and 0.7; as an edit, it changed it the first time."""
        patch = propose_patch(state, svc, context, edit_format="search-replace")
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
            broken = broken_template(current, proposed)
            if broken:
                raise ModelReplyError(broken)
            if svc.prompt_gate is None:
                raise AgentError("self-refinement needs agent's evaluation suite to judge a prompt change: "
                                 "run it with 'agent refine --self'")
            passes, figures, record = svc.prompt_gate(svc, current, proposed)
        svc.files.write_json(f"stages/{n:02d}/eval.json", record)
        if not passes:
            raise ModelReplyError(f"{figures}: not put to a person")

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
            "eval_current_prompts": f"{cur['prompts']}: {cur['total']:.2f}/{cur['max']}",
            "eval_proposed_prompts": f"{new['prompts']}: {new['total']:.2f}/{new['max']}",
            "eval_gate": data["gate"],
        }
