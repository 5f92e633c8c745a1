"""C to Rust, one reviewed stage at a time (strategy "c2rust").

Stage 1 puts a Rust static library beside the C build; each translate stage replaces a few C
functions (leaves of the call graph first) with Rust exported over the C ABI, so the original
C tests keep running against the mixed build; the last stage makes a plain Rust crate tested
with ``cargo test``. A goal that asks for safety instead plans one stage per function the
transpiler wrote (see ``safety``). Code writes everything but the Rust itself, so a stage is small to review.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agent.graph.services import Services
from agent.graph.state import RunState, Stage
from agent.rewrites import wants_rust
from agent.rewrites.c2rust.finalize import finalize_patch, scaffold_patch
from agent.rewrites.c2rust.renames import rename_patch
from agent.rewrites.c2rust.report import figures
from agent.rewrites.c2rust.safety import plan_safety, safety_patch, wants_safety
from agent.rewrites.c2rust.stages import plan_stages
from agent.rewrites.c2rust.translate import translate_patch


class CToRust:
    name = "c2rust"

    def plan(self, state: RunState, svc: Services, context: str) -> list[Stage]:
        if wants_safety(state["goal"]) and not wants_rust(state["goal"]):
            return plan_safety(Path(svc.worktree.path), svc.settings.max_stages)
        return plan_stages(Path(svc.worktree.path), svc.settings.max_stages)

    def propose(self, state: RunState, svc: Services, context: str) -> str:
        """A stage's patch. Its prompt carries all the stage needs (the C code, its prototypes,
        the Rust it calls), so the packed repository is not sent: the 1.5B model wrote out the
        functions of other files it saw there, and it costs prompt time on every call."""
        kind = state["stages"][state["current"]].get("kind", "translate")
        if kind == "scaffold":
            return scaffold_patch(state, svc)
        if kind == "rename":
            return rename_patch(state, svc)
        if kind == "finalize":
            return finalize_patch(state, svc)
        if kind == "safety":
            return safety_patch(state, svc)
        return translate_patch(state, svc)

    def metrics(self, state: RunState, svc: Services) -> dict[str, Any]:
        return figures(svc.worktree.path, state.get("verify", {}), svc.runner, svc.limits)

    def review_figures(self, state: RunState, svc: Services) -> dict[str, Any]:
        return {}  # its figures are measured on the applied stage (see ``metrics``)
