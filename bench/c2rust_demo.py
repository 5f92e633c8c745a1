"""C to Rust on the bundled c-mathlib, unattended: how many stages pass and how many repairs
they take with a real model.

Runs ``agent refine workspaces/c-mathlib --strategy c2rust`` in a scratch copy with a reviewer
that approves every stage (signed with a throwaway AGENT_HOME's key, which the shipped policy
trusts for the local person). A stage passes when it is applied and its check after apply is
green: the C build links the Rust library and every C test still passes.

    python bench/c2rust_demo.py [--model qwen2.5-coder-1.5b] [--max-stages 3] [--sandbox docker]
                                [--safety] [--from-c2rust] [--keep DIR] [--json]

``--safety`` then runs "make the transpiled functions safe" on the crate the translation ended
in, one stage per function C2Rust wrote, and prints those stages' figures too. ``--from-c2rust``
translates with C2Rust alone (no usable reply) and gives the model only the safety stages.

Checks run in the Docker sandbox as they do for users (the rust image, or the transpiler's when
it is built); ``--sandbox none`` runs them on this host instead.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agent.approval.keys import init_key  # noqa: E402
from agent.approval.local_policy import REPO_POLICY  # noqa: E402
from agent.errors import AgentError  # noqa: E402
from agent.evals.suite import throwaway_home  # noqa: E402
from agent.policy.load import SHIPPED_DEFAULT  # noqa: E402
from agent.runs.session import Terminal, start  # noqa: E402
from agent.sandbox.local import LocalRunner  # noqa: E402
from agent.sshsig import public_line  # noqa: E402


def _commit(repo: Path) -> Path:
    for args in (["init", "-q", "-b", "main"], ["add", "-A"],
                 ["-c", "user.name=bench", "-c", "user.email=bench@localhost", "commit", "-q", "-m", repo.name]):
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)
    return repo


SAFETY_GOAL = "make the transpiled functions safe"
RUN_STAGES = 20  # the most stages one run plans (the ceiling of the max_stages setting)


def _own_policy(repo: Path, max_diff_lines: int) -> None:
    """The project's own policy, as its user would write it: the shipped one with this diff limit,
    trusting the bench's key (a project's policy names its signers). A function C2Rust expands
    past the shipped 1000 lines (libscrypt's SHA-256 transform) is one stage, and only the
    project can allow it; agent never raises the limit itself."""
    target = repo / REPO_POLICY
    if target.exists():
        raise AgentError(f"{target} exists: the project has its own policy; drop --max-diff-lines")
    policy = yaml.safe_load(SHIPPED_DEFAULT.read_text(encoding="utf-8"))
    key, _ = init_key()
    policy.update(max_diff_lines=max_diff_lines,
                  signers=[{"name": "bench", "key": public_line(key.public_key), "paths": ["**"]}])
    target.parent.mkdir(parents=True)
    target.write_text(yaml.safe_dump(policy, sort_keys=False), encoding="utf-8")


def _stages(state: dict[str, Any], offset: int = 0) -> list[dict[str, Any]]:
    return [
        {"stage": o["stage"] + offset, "title": o["title"], "status": o["status"], "repairs": max(0, o["attempts"] - 1),
         "tests": o["tests"], "reason": o["reason"], **o.get("metrics", {})}
        for o in state["outcomes"]
    ]


def _passed(stages: list[dict[str, Any]]) -> int:
    return sum(s["status"] == "applied" for s in stages)


def _runs(repo: Path, goal: str, term: Terminal, overrides: dict[str, Any], scratch: Path,
          runner: LocalRunner | None, max_stages: int) -> dict[str, Any]:
    """Runs ``goal`` again from where the last run ended (its branch merged) while the plan was cut
    at a run's most stages and the run applied one: cJSON's translation is about 60 stages.
    Stops at ``max_stages`` in all, or when a run plans nothing (nothing left to make safe)."""
    scratch.mkdir()
    done: dict[str, Any] = {"planned": 0, "stages": [], "replies": [], "runs": 0, "error": ""}
    while done["planned"] < max_stages:
        most = min(RUN_STAGES, max_stages - done["planned"])
        replies = scratch / f"replies-{done['runs'] + 1}.json"  # every model call's reply: counted
        try:
            _, state = start(repo, goal, term, {**overrides, "max_stages": most}, record=replies, runner=runner)
        except AgentError as err:  # e.g. nothing left to make safe, or C still to translate
            done["error"] = str(err)
            break
        done["runs"] += 1
        done["replies"] += json.loads(replies.read_text()) if replies.is_file() else []
        stages = _stages(state, offset=done["planned"])
        done["planned"] += len(state["stages"])
        done["stages"] += stages
        applied = any(s["status"] == "applied" for s in stages)
        if applied:
            subprocess.run(["git", "merge", "-q", "--ff-only", f"agent/{state['run_id']}"], cwd=repo, check=True)
        finished = state["stages"][-1].get("kind") == "finalize"  # the last stage of a translation
        if not applied or finished or len(state["stages"]) < most:
            break
    return done


def run(model: str, max_stages: int, sandbox: str, ctx: int, record: Path | None = None,
        source: Path = ROOT / "workspaces" / "c-mathlib", safety: bool = False,
        from_c2rust: bool = False, max_diff_lines: int | None = None, keep: Path | None = None) -> dict[str, Any]:
    """Translates ``source`` to Rust and, with ``safety``, then runs the safety goal on the crate
    it ended in (its stages and figures under "safety"). With ``from_c2rust`` the translation
    gets no usable reply, so C2Rust alone writes it, and ``model`` only makes it safe (as
    C2SaferRust does). ``max_diff_lines`` is the project's own choice, as its user would make
    it: the copy gets the shipped policy with that limit (agent never raises it itself). ``keep``
    is where the scratch copy goes at the end, its git history and the runs' folders with it,
    to look into what a stage did; it must not exist yet."""
    if keep is not None and keep.exists():
        raise AgentError(f"{keep} exists: give --keep a folder that does not exist yet")
    started = time.monotonic()
    term = Terminal(
        show=lambda line: print(line, file=sys.stderr, flush=True),  # progress; stdout keeps the result
        busy=lambda what: nullcontext(),
        reviewer=lambda payload: {"decision": "approve", "approver": "bench", "reason": ""},
    )
    with tempfile.TemporaryDirectory(prefix="c2rust-demo-") as tmp, throwaway_home():
        copy = Path(tmp) / source.name
        shutil.copytree(source, copy, ignore=shutil.ignore_patterns(".git"))
        if max_diff_lines is not None:
            _own_policy(copy, max_diff_lines)
        repo = _commit(copy)
        overrides = {"model": model, "strategy": "c2rust", "sandbox": sandbox, "ctx": ctx}
        runner = LocalRunner() if sandbox == "none" else None
        translator = overrides
        if from_c2rust:
            nothing = Path(tmp) / "no-replies.json"
            nothing.write_text(json.dumps(["no usable reply"] * 100_000))
            translator = {**overrides, "model": f"scripted:{nothing}"}
        runs = _runs(repo, "translate to Rust", term, translator, Path(tmp) / "translate", runner, max_stages)
        if not runs["runs"]:  # the plan was refused (a build it cannot wire, no C functions)
            raise AgentError(runs["error"])
        if record:
            record.write_text(json.dumps(runs["replies"]))
        result: dict[str, Any] = {
            "model": model, "planned": runs["planned"], "passed": _passed(runs["stages"]),
            "repairs": sum(s["repairs"] for s in runs["stages"]), "model_calls": len(runs["replies"]),
            "seconds": round(time.monotonic() - started), "stages": runs["stages"], "runs": runs["runs"],
        }
        if safety:  # from where the translation ended
            began = time.monotonic()
            done = _runs(repo, SAFETY_GOAL, term, overrides, Path(tmp) / "safety", runner, max_stages)
            result["safety"] = {
                "planned": done["planned"], "passed": _passed(done["stages"]), "model_calls": len(done["replies"]),
                "seconds": round(time.monotonic() - began), "stages": done["stages"], "error": done["error"],
            }
        if keep is not None:
            shutil.copytree(tmp, keep, symlinks=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="qwen2.5-coder-1.5b")
    parser.add_argument("--max-stages", type=int, default=3,
                        help="scaffold + this many minus one stages (past 20, in runs of 20 from where the last ended)")
    parser.add_argument("--sandbox", default="docker", choices=["docker", "bwrap", "none"])
    parser.add_argument("--ctx", type=int, default=8192)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--record", type=Path, help="write the model's replies to this JSON file")
    parser.add_argument("--safety", action="store_true", help=f'then run "{SAFETY_GOAL}" on the crate')
    parser.add_argument("--from-c2rust", action="store_true",
                        help="translate with C2Rust alone (no usable reply); the model only makes it safe")
    parser.add_argument("--keep", type=Path, help="copy the scratch repository here at the end (a new folder)")
    args = parser.parse_args()
    result = run(args.model, args.max_stages, args.sandbox, args.ctx, args.record,
                 safety=args.safety or args.from_c2rust, from_c2rust=args.from_c2rust, keep=args.keep)
    if args.json:
        print(json.dumps(result))
        return
    print(f"c2rust on c-mathlib with {result['model']}: {result['passed']}/{result['planned']} stages passed, "
          f"{result['repairs']} repairs, {result['model_calls']} model calls, {result['seconds']} s")
    _print_stages(result["stages"])
    if "safety" in result:
        done = result["safety"]
        print(f"then {SAFETY_GOAL!r}: {done['passed']}/{done['planned']} stages passed, {done['model_calls']} model "
              f"calls, {done['seconds']} s {done['error']}".rstrip())
        _print_stages(done["stages"])


def _print_stages(stages: list[dict[str, Any]]) -> None:
    for s in stages:
        extra = (f" {s['functions_translated']} translated ({s['functions_transpiled']} by C2Rust),"
                 f" {s['unsafe_lines']} unsafe lines, {s['raw_pointers']} raw pointers"
                 if "functions_transpiled" in s else "")
        print(f"  {s['stage']}. {s['title']}: {s['status']}, {s['repairs']} repairs{extra} {s['reason']}".rstrip())


if __name__ == "__main__":
    main()
