"""Self-refinement on a scratch copy of agent's own layout: prompt changes are gated on
``agent eval`` run with both prompt sets through the real graph; changes to the approval
code or the policy cannot be approved by one person's signature."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from agent.approval.keys import init_key
from agent.evals import load_tasks
from agent.llm.scripted import ScriptedModel
from agent.policy.load import SHIPPED_DEFAULT
from agent.rewrites import self_refine
from agent.rewrites.self_refine import allowed, inside
from agent.runs.session import start
from agent.sandbox.local import LocalRunner
from agent.sshsig import public_line
from tests.conftest import ROOT, git, reviewing_terminal

MARKER = "Change nothing the stage does not need."
EDIT_LINE = "Reply with JSON only: {\"edits\": [{\"file\": \"...\", \"search\": \"...\", \"replace\": \"...\"}]}\n"


def edits(file: str, search: str, replace: str) -> str:
    return json.dumps({"edits": [{"file": file, "search": search, "replace": replace}]})


def plan(*files: str) -> str:
    return json.dumps({"stages": [{"title": f"Change {f}", "intent": f"change {f}", "files": [f]} for f in files]})


TASK_PLAN = plan("stock.py")
ADD = "    stock[name] = stock.get(name, 0) + quantity\n"
TASK_GOOD = edits("stock.py", ADD, '    if quantity < 0:\n        raise ValueError("negative")\n' + ADD)
TASK_UNUSABLE = edits("stock.py", "no such line\n", "x\n")


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


def run(
    repo: Path, goal: str, replies: list[str], seen: list[dict[str, Any]] | None = None
) -> tuple[ScriptedModel, dict[str, Any]]:
    model = ScriptedModel(replies)
    term = reviewing_terminal(seen=seen)
    _, state = start(repo, goal, term, {"sandbox": "none", "strategy": "self"}, model=model, runner=LocalRunner())
    return model, state


@pytest.fixture
def one_task(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(self_refine, "load_tasks", lambda: load_tasks(["negative-quantity"]))


def test_allowed_paths_are_the_prompts_unless_the_goal_names_more(agent_repo: Path) -> None:
    assert allowed("make the edit prompt shorter", agent_repo) == ["agent/prompts/"]
    ok = allowed("also fix agent/approval/approve.py and policies/", agent_repo)
    assert inside("agent/approval/approve.py", ok) and inside("policies/default.yaml", ok)
    assert not inside("agent/approval/other.py", ok)


def test_prompt_change_scored_no_worse_is_applied_with_both_scores(agent_repo: Path, one_task: None) -> None:
    change = edits("agent/prompts/edit.md", EDIT_LINE, MARKER + "\n" + EDIT_LINE)
    seen: list[dict[str, Any]] = []
    model, state = run(agent_repo, "ask for minimal edits in the edit prompt",
                       [plan("agent/prompts/edit.md"), change, TASK_PLAN, TASK_GOOD, TASK_PLAN, TASK_GOOD],
                       seen)
    assert seen[0]["figures"]["eval_proposed_prompts"] == "1.00/1"  # the reviewer sees both scores
    [outcome] = state["outcomes"]
    assert outcome["status"] == "applied"
    assert outcome["metrics"]["eval_current_prompts"] == "1.00/1"
    assert outcome["metrics"]["eval_proposed_prompts"] == "1.00/1"
    # the eval ran the nested task with the current prompts, then with the proposed ones
    assert MARKER not in model.calls[3][-1]["content"] and MARKER in model.calls[5][-1]["content"]


def test_prompt_change_scored_worse_never_reaches_a_person(agent_repo: Path, one_task: None) -> None:
    change = edits("agent/prompts/edit.md", EDIT_LINE, "Reply in prose.\n")
    _, state = run(agent_repo, "rewrite the edit prompt",
                   [plan("agent/prompts/edit.md"), change, TASK_PLAN, TASK_GOOD, TASK_PLAN, *[TASK_UNUSABLE] * 3])
    [outcome] = state["outcomes"]
    assert outcome["status"] == "failed"
    assert "agent eval scores the proposed prompts 0.00 < 1.00" in outcome["reason"]
    assert git(agent_repo, "rev-parse", f"agent/{state['run_id']}") == state["base_commit"]


def test_edits_outside_the_prompts_are_refused(agent_repo: Path) -> None:
    sneaky = edits("agent/approval/approve.py", "REQUIRED = 1\n", "REQUIRED = 0\n")
    _, state = run(agent_repo, "tune the plan prompt", [plan("agent/prompts/plan.md"), sneaky])
    [outcome] = state["outcomes"]
    assert outcome["status"] == "failed" and "outside agent/prompts/" in outcome["reason"]


def test_self_stage_on_approval_code_or_policy_needs_more_than_one_person(agent_repo: Path) -> None:
    goal = "lower REQUIRED in agent/approval/approve.py and allow one signature in policies/default.yaml"
    replies = [
        plan("agent/approval/approve.py", "policies/default.yaml"),
        edits("agent/approval/approve.py", "REQUIRED = 1\n", "REQUIRED = 0\n"),
        edits("policies/default.yaml", "    signatures: 2\n", "    signatures: 1\n"),
    ]
    _, state = run(agent_repo, goal, replies)
    assert [o["status"] for o in state["outcomes"]] == ["rejected", "rejected"]
    for outcome, path in zip(state["outcomes"], ["agent/approval/approve.py", "policies/default.yaml"], strict=True):
        assert f"{path} needs 2 trusted signature(s), has 1" in outcome["reason"]
    assert git(agent_repo, "rev-parse", f"agent/{state['run_id']}") == state["base_commit"]
