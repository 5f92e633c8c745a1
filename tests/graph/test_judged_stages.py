"""Stages judged against the tests as they stood before them, with candidates (scripted model,
real git, real pytest): red-to-green progress sticks, broken tests and test edits are refused,
the best of several candidates goes on."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from agent.config import Settings
from agent.graph.nodes import CONTINUE_TITLE, last_attempt, time_limit_for_tests
from agent.llm.scripted import ScriptedModel
from agent.runs.session import start
from agent.sandbox.local import LocalRunner
from tests.conftest import APPROVE, git, reviewing_terminal

STUB = '''"""Arithmetic the tests expect."""


def add(a, b):
    raise NotImplementedError


def mul(a, b):
    raise NotImplementedError


def const():
    return 7
'''
TESTS = '''from calc import add, const, mul


def test_add():
    assert add(2, 3) == 5


def test_mul():
    assert mul(2, 3) == 6


def test_const():
    assert const() == 7
'''
GOAL = "make the failing tests pass by changing calc.py"


def edit(search: str, replace: str, file: str = "calc.py") -> str:
    return json.dumps({"edits": [{"file": file, "search": search, "replace": replace}]})


ADD = edit("def add(a, b):\n    raise NotImplementedError\n", "def add(a, b):\n    return a + b\n")
MUL = edit("def mul(a, b):\n    raise NotImplementedError\n", "def mul(a, b):\n    return a * b\n")
SAME = edit("    return a + b\n", "    return a + b\n")  # changes nothing of the best candidate
BOTH = json.dumps({"edits": [json.loads(ADD)["edits"][0], json.loads(MUL)["edits"][0]]})
BREAK_CONST = edit("def const():\n    return 7\n", "def const():\n    return 8\n")
EDIT_TESTS = edit("def test_add():\n    assert add(2, 3) == 5\n", "def test_add():\n    assert True\n",
                  file="test_calc.py")


@pytest.fixture
def red_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "calc"
    repo.mkdir()
    (repo / "calc.py").write_text(STUB)
    (repo / "test_calc.py").write_text(TESTS)
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "stub"]):
        subprocess.run(["git", *args], cwd=repo, check=True)
    return repo


def run(repo: Path, replies: list[str], decisions: list[dict[str, Any]] | None = None,
        seen: list[dict[str, Any]] | None = None, **settings: Any) -> tuple[ScriptedModel, dict[str, Any]]:
    model = ScriptedModel(replies)
    overrides = {"sandbox": "none", "model": "scripted", "test_command": ["python3", "-m", "pytest", "-q"],
                 **settings}
    _, state = start(repo, GOAL, reviewing_terminal(decisions, seen), overrides, model=model, runner=LocalRunner())
    return model, state


def test_red_baseline_is_fixed_over_two_stages_and_the_partial_stage_sticks(red_repo: Path) -> None:
    seen: list[dict[str, Any]] = []
    model, state = run(red_repo, [ADD, MUL], seen=seen, candidates=1)
    # the goal names its file: one stage, no planner call; the first model call is the edit
    assert "# Task: plan" not in model.calls[0][-1]["content"]
    assert [o["status"] for o in state["outcomes"]] == ["applied", "applied"]
    assert state["stages"][1]["title"] == CONTINUE_TITLE
    assert "test_calc.py::test_mul" in state["stages"][1]["intent"]
    first, second = (p["verify"]["verdict"] for p in seen)
    assert (first["fixed"], first["failing_before"], first["broke"]) == (1, 2, [])
    assert first["summary"] == "fixed 1 of 2 failing tests, broke none"
    assert (second["fixed"], second["failing_before"]) == (1, 1)
    # the stage there to fix what still fails starts from those tests' output, not just their names
    continuing = model.calls[1][-1]["content"]
    assert "The tests fail like this on the files above" in continuing and "NotImplementedError" in continuing
    assert "1 failed" in continuing
    # the second stage started from the first: its patch only adds mul
    assert "return a * b" in seen[1]["patch"] and "return a + b" not in seen[1]["patch"]
    assert state["reference"]["ok"] and "fixed 2 of 2 failing tests, broke none" in state["report"]


def test_a_stage_that_breaks_a_passing_test_is_refused(red_repo: Path) -> None:
    seen: list[dict[str, Any]] = []
    model, state = run(red_repo, [BREAK_CONST], seen=seen, candidates=1)
    assert seen == []  # never shown to a person
    [outcome] = state["outcomes"]
    assert outcome["status"] == "failed"
    assert "broke 1 test(s) that passed before it: test_calc.py::test_const" in outcome["reason"]
    assert git(red_repo, "rev-parse", f"agent/{state['run_id']}") == state["base_commit"]


def test_a_repair_starts_from_the_best_candidate_and_an_identical_one_is_not_tested_again(red_repo: Path) -> None:
    model, state = run(red_repo, [ADD, SAME, MUL], candidates=2, max_stages=1, candidate_temperature=0.7)
    repair = model.calls[1][-1]["content"]
    assert "already hold your best attempt" in repair and "return a + b" in repair
    assert "\n".join(state["events"]).count("identical to an earlier candidate") == 1
    # the repeat tested nothing, so it did not use up the two candidates; it warmed the next draw
    assert len(model.calls) == 3 and [t for t, _ in model.samplings] == [0.0, 0.7, 0.9]
    assert len({seed for _, seed in model.samplings}) == 3
    assert [o["status"] for o in state["outcomes"]] == ["applied"] and state["reference"]["ok"]


def test_repairs_that_repeat_the_best_candidate_end_its_stage_and_the_next_starts_afresh(red_repo: Path) -> None:
    seen: list[dict[str, Any]] = []
    model, state = run(red_repo, [ADD, SAME, SAME, MUL], seen=seen, candidates=9, stage_seconds=600)
    events = "\n".join(state["events"])
    assert events.count("identical to an earlier candidate") == 2
    assert "the repairs repeat earlier candidates: the best one goes on" in events
    # the first stage went on with its best candidate, not the repeats, well before its budget
    assert "return a + b" in seen[0]["patch"] and seen[0]["verify"]["verdict"]["fixed"] == 1
    assert [o["status"] for o in state["outcomes"]] == ["applied", "applied"]
    assert state["stages"][1]["title"] == CONTINUE_TITLE
    # the next stage is a new prompt with the failing tests' output, greedy again, not a fifth repair
    assert "The tests fail like this on the files above" in model.calls[3][-1]["content"]
    assert len(model.calls) == 4 and model.samplings[3][0] == 0.0
    assert state["reference"]["ok"]


def test_a_failed_candidate_is_not_shown_to_the_next_one(red_repo: Path) -> None:
    model, _ = run(red_repo, [BREAK_CONST, ADD], candidates=2, max_stages=1)
    afresh = model.calls[1][-1]["content"]
    assert "was not kept" in afresh and "test_const" in afresh  # told why, with the test output
    assert "return 8" not in afresh  # but not shown the file it wrote


def test_a_test_file_edit_is_refused_when_the_goal_does_not_ask_for_tests(red_repo: Path) -> None:
    seen: list[dict[str, Any]] = []
    model, state = run(red_repo, [EDIT_TESTS, BOTH], seen=seen, candidates=2)
    assert "the tests are the judge" in model.calls[1][-1]["content"]
    assert [p["patch"] for p in seen] and all("test_calc.py" not in p["patch"] for p in seen)
    assert [o["status"] for o in state["outcomes"]] == ["applied"]


def test_of_several_candidates_the_best_goes_to_the_gate(red_repo: Path) -> None:
    seen: list[dict[str, Any]] = []
    model, state = run(red_repo, [ADD, BREAK_CONST, EDIT_TESTS], [APPROVE], seen=seen, candidates=3,
                       max_stages=1)
    assert len(model.calls) == 3
    [shown] = seen
    assert "return a + b" in shown["patch"] and shown["verify"]["verdict"]["fixed"] == 1
    # the second candidate was a repair of the best so far, with its test output
    assert "return a + b" in model.calls[1][-1]["content"] and "test_mul" in model.calls[1][-1]["content"]
    assert [o["status"] for o in state["outcomes"]] == ["applied"]


def test_a_candidate_that_makes_every_test_pass_ends_the_search(red_repo: Path) -> None:
    model, state = run(red_repo, [BOTH], candidates=4)
    assert len(model.calls) == 1 and state["reference"]["ok"]
    assert [o["status"] for o in state["outcomes"]] == ["applied"]


def test_a_candidate_whose_tests_ran_outranks_one_that_broke_their_collection(red_repo: Path) -> None:
    (red_repo / "calc.py").write_text(STUB.replace("return 7", "raise NotImplementedError"))
    git(red_repo, "commit", "-qam", "every test fails")
    crash = edit('"""Arithmetic the tests expect."""\n', '"""Arithmetic the tests expect."""\nimport no_such_module\n')
    ran = edit('"""Arithmetic the tests expect."""\n', '"""Arithmetic the tests expect, all three."""\n')
    model, _ = run(red_repo, [crash, ran, BOTH], candidates=3, max_stages=1)
    # neither fixed a test; the third proposal learns from the best, the one whose 3 tests ran
    assert "3 failed, 0 errors" in model.calls[2][-1]["content"]


def test_an_endless_loop_costs_seconds_not_the_default_limit(red_repo: Path) -> None:
    loop = edit("def add(a, b):\n    raise NotImplementedError\n", "def add(a, b):\n    while True:\n        pass\n")
    model, state = run(red_repo, [loop], candidates=1)
    [outcome] = state["outcomes"]
    assert outcome["status"] == "failed" and "timeout" in outcome["reason"]
    timed = [e for e in state["events"] if "candidate 1" in e]
    assert timed and state["spent"] < 60  # the settings allow 300 s; the baseline took about 1 s


def test_test_time_follows_the_slowest_of_the_baseline_and_the_last_applied_stage() -> None:
    c_only = {"duration_s": 0.8}  # a C build and its tests; the scaffold then adds a cargo build
    assert time_limit_for_tests({"baseline": c_only}, 300) == 14
    assert time_limit_for_tests({"baseline": c_only, "reference": {"duration_s": 6.0}}, 300) == 40
    assert time_limit_for_tests({"baseline": {"duration_s": 100.0}}, 300) == 300  # the ceiling holds
    assert time_limit_for_tests({"baseline": {"duration_s": 1.0, "killed_by": "timeout"}}, 300) == 300
    ports_tests: Any = {"baseline": c_only, "reference": {"duration_s": 6.0}, "current": 1,
                        "stages": [{"title": "translate"}, {"title": "port the tests", "tests_editable": True}]}
    assert time_limit_for_tests(ports_tests, 300) == 300  # new tests: nothing says how long they take
    ran = {"baseline": c_only, "reference": {"duration_s": 6.0}}
    assert time_limit_for_tests(ran, 300, ["rust/src/lib.rs", "src/m.c"]) == 40
    assert time_limit_for_tests(ran, 300, ["rust/src/lib.rs", "rust/Cargo.toml"]) == 300  # a new crate builds


def test_a_reply_that_took_half_the_stage_budget_makes_its_proposal_the_last() -> None:
    svc: Any = SimpleNamespace(settings=Settings(candidates=4, stage_seconds=180))
    first: Any = {"attempts": 0, "repeats": 0, "spent": 0.0}
    assert not last_attempt(first, svc, 20.0)
    assert last_attempt(first, svc, 600.0)  # one slow reply: no second candidate will fit
    assert last_attempt({**first, "spent": 95.0}, svc, 0.0)
    assert last_attempt({**first, "attempts": 3}, svc, 0.0)  # the fourth candidate


def test_whole_file_replies_are_written_as_the_new_file(red_repo: Path) -> None:
    whole = "calc.py\n```python\n" + STUB.replace("raise NotImplementedError", "return 0", 2).replace(
        "def add(a, b):\n    return 0", "def add(a, b):\n    return a + b").replace(
        "def mul(a, b):\n    return 0", "def mul(a, b):\n    return a * b") + "```\n"
    model, state = run(red_repo, [whole], candidates=1, edit_format="auto")
    asked = model.calls[0][-1]["content"]
    assert "fenced code block" in asked
    assert f"calc.py\n```\n{STUB}```\n" in asked  # the file is shown in the form the reply takes
    assert [o["status"] for o in state["outcomes"]] == ["applied"] and state["reference"]["ok"]


def whole_calc(add: str = "raise NotImplementedError", mul: str = "raise NotImplementedError") -> str:
    body = STUB.replace("def add(a, b):\n    raise NotImplementedError", f"def add(a, b):\n    {add}").replace(
        "def mul(a, b):\n    raise NotImplementedError", f"def mul(a, b):\n    {mul}")
    return f"calc.py\n```python\n{body}```\n"


def test_a_whole_file_candidate_after_the_first_is_another_draw_of_its_very_prompt(red_repo: Path) -> None:
    model, state = run(red_repo, [whole_calc(add="return a + b"), whole_calc("return a + b", "return a * b")],
                       candidates=2, max_stages=1, edit_format="whole", candidate_temperature=0.7)
    first, second = model.calls
    assert second == first  # byte for byte: its prompt is already read, and the draw is all it costs
    assert "def add(a, b):\n    raise NotImplementedError" in second[1]["content"]  # not the best attempt
    assert model.samplings[0] == (0.0, 0) and model.samplings[1][0] == 0.7  # a new draw: warmer, another seed
    assert model.samplings[1][1] != model.samplings[0][1]
    assert [o["status"] for o in state["outcomes"]] == ["applied"] and state["reference"]["ok"]


def test_a_draw_is_checked_against_the_files_its_prompt_showed_not_the_best_candidate(red_repo: Path) -> None:
    helper = whole_calc(add="return _sum(a, b)").replace("```\n", "\n\ndef _sum(a, b):\n    return a + b\n```\n", 1)
    model, state = run(red_repo, [helper, whole_calc("return a + b", "return a * b")],
                       candidates=2, max_stages=1, edit_format="whole", candidate_temperature=0.7)
    # the best candidate defined _sum; the draw, shown the stub, had no reason to keep it
    assert len(model.calls) == 2 and "leaves out" not in "\n".join(state["events"])
    assert [o["status"] for o in state["outcomes"]] == ["applied"] and state["reference"]["ok"]


def test_the_stage_that_fixes_what_still_fails_draws_the_first_stages_prompt_again(red_repo: Path) -> None:
    half = whole_calc(add="return a + b")
    # the first stage: a candidate that fixes add, then two draws that repeat it, so it goes on
    model, state = run(red_repo, [half, half, half, half, whole_calc("return a + b", "return a * b")],
                       candidates=2, edit_format="whole", stage_seconds=600)
    first, afresh, again = model.calls[0], model.calls[3], model.calls[4]
    assert state["stages"][1]["title"] == CONTINUE_TITLE
    # its first candidate is asked with the files as they are now and the failing output; it wrote them back
    assert "The tests fail like this" in afresh[1]["content"] and "return a + b" in afresh[1]["content"]
    assert "unusable (attempt 1): the edits change nothing" in "\n".join(state["events"])
    # the next is a draw of the first stage's prompt, its files as they were before it, under a new seed
    assert again == first
    assert model.samplings[4][1] not in {seed for _, seed in model.samplings[:3]}
    # judged against what passes now: it fixed the one test left and broke none
    assert [o["status"] for o in state["outcomes"]] == ["applied", "applied"] and state["reference"]["ok"]
    assert "fixed 1 of 1 failing tests, broke none" in state["report"]


def test_a_reply_that_writes_the_files_back_unchanged_is_not_asked_again_at_the_same_draw(red_repo: Path) -> None:
    model, state = run(red_repo, [whole_calc(), whole_calc("return a + b", "return a * b")],
                       candidates=2, max_stages=1, edit_format="whole", candidate_temperature=0.7)
    first, second = model.calls
    assert [m["role"] for m in first] == ["system", "user"]  # not re-asked in conversation
    assert [m["role"] for m in second] == ["system", "user"]  # the next candidate is a new draw
    assert "the edits change nothing" in second[1]["content"]  # told why the last one was not kept
    assert "unusable (attempt 1): the edits change nothing" in "\n".join(state["events"])
    assert [t for t, _ in model.samplings] == [0.0, 0.7]
    assert [o["status"] for o in state["outcomes"]] == ["applied"] and state["reference"]["ok"]


def test_two_candidates_that_each_fix_another_test_are_mixed_without_asking_the_model(red_repo: Path) -> None:
    model, state = run(red_repo, [whole_calc(add="return a + b"), whole_calc(mul="return a * b")],
                       candidates=2, max_stages=1, edit_format="whole", candidate_temperature=0.7)
    assert len(model.calls) == 2  # the mix cost a test run, not a reply
    events = "\n".join(state["events"])
    assert "mixed mul from stage 1 candidate 2 into the best file so far (attempt 3)" in events
    assert "Stage 1: candidate 3: fixed 2 of 2 failing tests, broke none" in events
    assert [o["status"] for o in state["outcomes"]] == ["applied"] and state["reference"]["ok"]
    assert "return a * b" in git(red_repo, "show", f"agent/{state['run_id']}:calc.py")
    assert "return a + b" in git(red_repo, "show", f"agent/{state['run_id']}:calc.py")


def test_what_a_candidate_that_broke_a_test_got_right_is_mixed_into_the_applied_stage(red_repo: Path) -> None:
    # the stage after a red one: its candidate fixes mul but breaks add, which the applied stage passes
    model, state = run(red_repo, [whole_calc(add="return a + b"), whole_calc(mul="return a * b")],
                       candidates=1, edit_format="whole")
    assert len(model.calls) == 2
    events = "\n".join(state["events"])
    assert "Stage 2: candidate 1: fixed 1 of 1 failing tests, broke 1" in events  # not kept as it is
    assert "Stage 2: mixed mul from stage 2 candidate 1 into the best file so far (attempt 2)" in events
    assert [o["status"] for o in state["outcomes"]] == ["applied", "applied"] and state["reference"]["ok"]
    assert "fixed 1 of 1 failing tests, broke none" in state["report"]


def test_what_a_reviewer_rejected_is_never_mixed_into_the_candidates_after_it(red_repo: Path) -> None:
    # the second draw fixes mul (and breaks const): its mul mixed into the first makes all green
    breaks_const = whole_calc(mul="return a * b").replace("return 7", "return 8")
    reject = {"decision": "reject", "approver": "tester", "reason": "write b before a"}
    model, state = run(red_repo, [whole_calc(add="return a + b"), breaks_const, whole_calc(add="return b + a"),
                                  whole_calc("return b + a", "return b * a")], [reject, APPROVE],
                       candidates=2, max_stages=1, edit_format="whole", candidate_temperature=0.7)
    events = state["events"]
    rejected = next(i for i, e in enumerate(events) if "rejected by tester" in e)
    assert any(e.startswith("Stage 1: mixed mul") for e in events[:rejected])
    # the search after it learns from the reason: the mul that was rejected is not mixed in again
    assert "A reviewer rejected it: write b before a" in model.calls[2][1]["content"]
    assert not any("mixed" in e for e in events[rejected:]) and len(model.calls) == 4
    assert [o["status"] for o in state["outcomes"]] == ["applied"] and state["reference"]["ok"]
    assert "return b * a" in git(red_repo, "show", f"agent/{state['run_id']}:calc.py")
