"""Self-refinement on a scratch copy of agent's own layout: a prompt change reaches a person only
when ``agent eval``, run through the real graph with both prompt sets, says it beats the current
prompts on the held-out tasks beyond the noise; a template that lost a placeholder is refused
before any evaluation; the two sets run side by side, each eval run once per run, even across a
resume; changes to the approval code or the policy cannot be approved by one person's signature."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from agent.approval.keys import init_key
from agent.errors import AgentError
from agent.evals import TASKS, load_tasks, prompt_gate
from agent.evals.prompt_gate import judge_prompts
from agent.home import data_home
from agent.llm.base import Message
from agent.policy.load import SHIPPED_DEFAULT
from agent.rewrites.self_refine import allowed, inside
from agent.rundir import RunFiles
from agent.runs.driver import Paused
from agent.runs.session import resume, start
from agent.sandbox.local import LocalRunner
from agent.sshsig import public_line
from tests.conftest import ROOT, git, reviewing_terminal

MARKER = "Change nothing the stage does not need."
EDIT_LINE = "Reply with JSON only: {\"edits\": [{\"file\": \"...\", \"search\": \"...\", \"replace\": \"...\"}]}\n"
TASK_GOAL = "make add_item raise ValueError when the quantity is negative"


def edits(file: str, search: str, replace: str) -> str:
    return json.dumps({"edits": [{"file": file, "search": search, "replace": replace}]})


def plan(*files: str) -> str:
    return json.dumps({"stages": [{"title": f"Change {f}", "intent": f"change {f}", "files": [f]} for f in files]})


TASK_PLAN = plan("stock.py")
ADD = "    stock[name] = stock.get(name, 0) + quantity\n"
TASK_GOOD = edits("stock.py", ADD, '    if quantity < 0:\n        raise ValueError("negative")\n' + ADD)
TASK_UNUSABLE = edits("stock.py", "no such line\n", "x\n")
WITH_MARKER = edits("agent/prompts/edit.md", EDIT_LINE, MARKER + "\n" + EDIT_LINE)


class PromptSensitiveModel:
    """Replays ``outer`` for the self run's own calls; in the eval's nested runs it plans the task
    and solves it only when the edit prompt carries MARKER (a model the proposed prompts help).
    ``interrupt_at`` raises KeyboardInterrupt at that nested call, as Ctrl-C would."""

    name = "prompt-sensitive"
    context_length = 32768

    def __init__(self, outer: list[str], interrupt_at: int = 0) -> None:
        self.outer = list(outer)
        self.nested: list[bool] = []  # per nested edit call: was MARKER in the prompt
        self.outer_calls = 0
        self.interrupt_at = interrupt_at
        self.seen: list[tuple[float, int]] = []  # (temperature, seed) of each call

    def complete(self, messages: list[Message], *, schema: dict[str, Any] | None = None, max_tokens: int = 1024,
                 temperature: float = 0.0, seed: int = 0, grammar: str | None = None) -> str:
        self.seen.append((temperature, seed))
        first = messages[1]["content"]
        if TASK_GOAL not in first:
            self.outer_calls += 1
            return self.outer.pop(0)
        if "stages" in (schema or {}).get("properties", {}):
            return TASK_PLAN
        self.nested.append(MARKER in first)
        if self.interrupt_at and len(self.nested) == self.interrupt_at:
            raise KeyboardInterrupt
        return TASK_GOOD if MARKER in first else TASK_UNUSABLE

    def count_tokens(self, text: str) -> int:
        return (len(text.encode()) + 3) // 4


@pytest.fixture
def agent_repo(tmp_path: Path) -> Path:
    """agent's layout in small: its real prompts, an approval module, a policy trusting this person."""
    repo = tmp_path / "agent-src"
    skip = shutil.ignore_patterns("*.py", "__pycache__")
    shutil.copytree(ROOT / "agent" / "prompts", repo / "agent" / "prompts", ignore=skip)
    (repo / "agent" / "approval").mkdir(parents=True)
    (repo / "agent" / "approval" / "approve.py").write_text('"""Signing approvals."""\nREQUIRED = 1\n')
    (repo / "tests").mkdir()
    (repo / "tests" / "test_smoke.py").write_text("def test_smoke() -> None:\n    assert True\n")
    key, _ = init_key()
    policy = yaml.safe_load(SHIPPED_DEFAULT.read_text())
    policy["signers"] = [{"name": "tester", "key": public_line(key.public_key), "paths": ["**"]}]
    (repo / "policies").mkdir()
    (repo / "policies" / "default.yaml").write_text(yaml.safe_dump(policy, sort_keys=False))
    git(tmp_path, "init", "-q", "-b", "main", str(repo))
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=T", "-c", "user.email=t@x", "commit", "-q", "-m", "agent")
    return repo


def run(repo: Path, goal: str, model: Any, seen: list[dict[str, Any]] | None = None, repeat: int = 1,
        fmt: str = "search-replace") -> dict[str, Any]:
    term = reviewing_terminal(seen=seen)
    # one reply per candidate and one candidate per stage, as search/replace edits; nested runs too
    settings = {"sandbox": "none", "strategy": "self", "edit_retries": 0, "candidates": 1,
                "edit_format": fmt, "gate_repeat": repeat}
    _, state = start(repo, goal, term, settings, model=model, runner=LocalRunner(), prompt_gate=judge_prompts)
    return state


@pytest.fixture
def suite_of(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Make the gate's suite ``heldout`` + ``tuning`` copies of one bundled task, one run each."""

    def make(heldout: int, tuning: int) -> None:
        root = tmp_path / "tasks"
        for part, count in (("heldout", heldout), ("tuning", tuning)):
            for i in range(count):
                dest = root / f"{part}-{i}"
                shutil.copytree(TASKS / "negative-quantity", dest)
                toml = dest / "task.toml"
                toml.write_text(toml.read_text().replace('part = "tuning"', f'part = "{part}"'))
        monkeypatch.setattr(prompt_gate, "load_tasks", lambda: load_tasks(root=root))

    return make


def test_allowed_paths_are_the_prompts_unless_the_goal_names_more(agent_repo: Path) -> None:
    assert allowed("make the edit prompt shorter", agent_repo) == ["agent/prompts/"]
    ok = allowed("also fix agent/approval/approve.py and policies/", agent_repo)
    assert inside("agent/approval/approve.py", ok) and inside("policies/default.yaml", ok)
    assert not inside("agent/approval/other.py", ok)


def test_a_change_better_beyond_the_noise_is_put_to_a_person_with_the_figures(agent_repo: Path, suite_of: Any) -> None:
    suite_of(heldout=5, tuning=1)
    model = PromptSensitiveModel([plan("agent/prompts/edit.md"), WITH_MARKER])
    seen: list[dict[str, Any]] = []
    state = run(agent_repo, "ask for minimal edits in the edit prompt", model, seen)
    [outcome] = state["outcomes"]
    assert outcome["status"] == "applied", outcome["reason"]
    figures = seen[0]["figures"]  # the reviewer sees both scores and the test that decided
    assert figures["eval_current_prompts"].endswith(": 0.00/6")
    assert figures["eval_proposed_prompts"].endswith(": 6.00/6")
    assert "5 better, 0 worse, 0 tied; sign test p=0.031" in figures["eval_gate"]
    # side by side, task by task, the order swapped every other pair: neither set always runs second
    assert model.nested == [False, True, True, False] * 3


def test_a_change_better_only_within_the_noise_never_reaches_a_person(agent_repo: Path, suite_of: Any) -> None:
    suite_of(heldout=2, tuning=1)
    model = PromptSensitiveModel([plan("agent/prompts/edit.md"), WITH_MARKER])
    seen: list[dict[str, Any]] = []
    state = run(agent_repo, "ask for minimal edits in the edit prompt", model, seen, repeat=2)
    [outcome] = state["outcomes"]
    assert model.nested == [False, True, True, False] * 3  # 3 tasks x 2 repeats per prompt set, paired
    assert outcome["status"] == "failed" and not seen
    assert "do not beat the current ones on the held-out tasks" in outcome["reason"]
    assert "2 better, 0 worse" in outcome["reason"] and "within the noise" in outcome["reason"]
    assert git(agent_repo, "rev-parse", f"agent/{state['run_id']}") == state["base_commit"]


def test_a_prompt_change_is_asked_for_as_edits_whatever_the_edit_format(agent_repo: Path, suite_of: Any) -> None:
    suite_of(heldout=1, tuning=1)
    model = PromptSensitiveModel([plan("agent/prompts/edit.md"), WITH_MARKER])
    state = run(agent_repo, "ask for minimal edits in the edit prompt", model, fmt="whole")
    [outcome] = state["outcomes"]
    assert "do not beat the current ones on the held-out tasks" in outcome["reason"]  # the edit parsed: gated
    assert len(model.nested) == 4  # both prompt sets scored, the nested runs asked in their own format


def test_a_gate_without_runs_is_refused_before_anything_is_written(agent_repo: Path) -> None:
    with pytest.raises(AgentError, match="setting 'gate_repeat': Input should be greater than or equal to 1"):
        run(agent_repo, "ask for minimal edits in the edit prompt", PromptSensitiveModel([]), repeat=0)
    assert not (agent_repo / ".agent" / "runs").exists()


def test_a_template_that_lost_a_placeholder_is_refused_before_any_evaluation(agent_repo: Path, suite_of: Any) -> None:
    suite_of(heldout=5, tuning=1)
    broken = edits("agent/prompts/edit.md", "{files}\n", "the files\n")
    model = PromptSensitiveModel([plan("agent/prompts/edit.md"), broken])
    state = run(agent_repo, "shorten the edit prompt", model)
    [outcome] = state["outcomes"]
    assert outcome["status"] == "failed"
    assert "prompt template edit.md lost placeholder {files}: put it back" in outcome["reason"]
    assert model.nested == []  # nothing was evaluated


def test_a_resumed_stage_never_scores_the_same_prompts_again(agent_repo: Path, suite_of: Any) -> None:
    suite_of(heldout=5, tuning=1)
    first = PromptSensitiveModel([plan("agent/prompts/edit.md"), WITH_MARKER], interrupt_at=8)
    with pytest.raises(Paused) as paused:  # Ctrl-C in the eighth eval run
        run(agent_repo, "ask for minimal edits in the edit prompt", first)
    assert first.nested == [False, True, True, False] * 2
    again = PromptSensitiveModel([WITH_MARKER])  # the propose step runs again from its top
    state = resume(RunFiles(agent_repo, str(paused.value)), reviewing_terminal(), model=again, runner=LocalRunner(),
                   prompt_gate=judge_prompts)
    assert [o["status"] for o in state["outcomes"]] == ["applied"]
    # the seven runs that ended came from the cache: only the cut one and the last two tasks ran
    assert again.outer_calls == 1 and again.nested == [False] + [False, True, True, False]
    # the cache is kept out of the run folder, which a forger may write (ADR 0010)
    assert not (agent_repo / ".agent" / "runs" / str(paused.value) / "evals").exists()
    assert len(list((data_home() / "evals" / "gate" / str(paused.value)).glob("*.json"))) == 12
    assert {seed for _, seed in again.seen} == {0} and {t for t, _ in again.seen} == {0.0}


def test_edits_outside_the_prompts_are_refused(agent_repo: Path) -> None:
    sneaky = edits("agent/approval/approve.py", "REQUIRED = 1\n", "REQUIRED = 0\n")
    state = run(agent_repo, "tune the plan prompt", PromptSensitiveModel([plan("agent/prompts/plan.md"), sneaky]))
    [outcome] = state["outcomes"]
    assert outcome["status"] == "failed" and "outside agent/prompts/" in outcome["reason"]


def test_self_stage_on_approval_code_or_policy_needs_more_than_one_person(agent_repo: Path) -> None:
    goal = "lower REQUIRED in agent/approval/approve.py and allow one signature in policies/default.yaml"
    both = json.dumps({"edits": [  # a goal naming its files is one stage, no planner asked
        {"file": "agent/approval/approve.py", "search": "REQUIRED = 1\n", "replace": "REQUIRED = 0\n"},
        {"file": "policies/default.yaml", "search": "    signatures: 2\n", "replace": "    signatures: 1\n"},
    ]})
    state = run(agent_repo, goal, PromptSensitiveModel([both]))
    [outcome] = state["outcomes"]
    assert outcome["status"] == "rejected", outcome
    for path in ["agent/approval/approve.py", "policies/default.yaml"]:
        assert f"{path} needs 2 trusted signature(s), has 1" in outcome["reason"]
    assert git(agent_repo, "rev-parse", f"agent/{state['run_id']}") == state["base_commit"]
