"""The verdict on a stage's tests, and what the goal allows: pure functions, no run needed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agent.errors import ModelReplyError
from agent.graph.judge import goal_asks_for_tests, is_test_path, judge, preserves_behaviour
from agent.graph.planning import named_files, parse_plan, several_changes


def report(ok: bool, **outcomes: str) -> dict[str, Any]:
    counts = {k: sum(1 for o in outcomes.values() if o == k) for k in ("passed", "failed", "errors", "skipped")}
    return {"ok": ok, "outcomes": outcomes, **counts, "summary": "", "duration_s": 1.0}


RED = report(False, a="failed", b="failed", c="passed")


def test_progress_on_a_red_baseline_verifies_and_says_how_much() -> None:
    verdict = judge(RED, report(False, a="passed", b="failed", c="passed"))
    assert verdict.ok and verdict.fixed == 1 and verdict.failing_before == 2 and verdict.broke == []
    assert verdict.summary() == "fixed 1 of 2 failing tests, broke none"


def test_breaking_a_passing_test_is_refused_even_when_others_are_fixed() -> None:
    verdict = judge(RED, report(False, a="passed", b="passed", c="failed"))
    assert not verdict.ok and verdict.broke == ["c"] and "broke 1 test(s)" in verdict.reason


def test_no_progress_on_a_red_baseline_is_refused_unless_the_goal_preserves_behaviour() -> None:
    same = report(False, a="failed", b="failed", c="passed")
    assert not judge(RED, same).ok and "fixed none of the 2" in judge(RED, same).reason
    assert judge(RED, same, preserve=True).ok


def test_a_green_baseline_must_stay_green() -> None:
    green = report(True, a="passed", b="passed")
    assert judge(green, green).ok
    assert not judge(green, report(False, a="passed", b="errors")).ok


def test_a_collection_error_fixed_counts_the_tests_that_appear() -> None:
    crashed = report(False, test_mod="errors")
    verdict = judge(crashed, report(False, x="passed", y="passed", z="failed"))
    assert verdict.ok and (verdict.fixed, verdict.failing_before) == (2, 3)


def test_a_collection_error_after_a_red_baseline_counts_the_baselines_failing_tests() -> None:
    verdict = judge(RED, report(False, **{"c": "passed", "test_mod.py": "errors"}))
    assert not verdict.ok and (verdict.fixed, verdict.failing_before, verdict.still_failing) == (0, 2, 2)
    assert verdict.summary() == "fixed 0 of 2 failing tests, broke none"


def test_runners_that_name_no_tests_are_judged_by_counts_and_status() -> None:
    before = {"ok": False, "passed": 3, "failed": 2, "errors": 0, "outcomes": {}}
    assert judge(before, {"ok": False, "passed": 4, "failed": 1, "errors": 0, "outcomes": {}}).ok
    assert not judge(before, {"ok": False, "passed": 2, "failed": 2, "errors": 0, "outcomes": {}}).ok
    assert not judge({"ok": True, "passed": 5, "outcomes": {}}, {"ok": False, "passed": 5, "outcomes": {}}).ok
    stopped = {"ok": False, "killed_by": "timeout", "summary": "stopped by the timeout limit after 9s"}
    assert "timeout" in judge(before, stopped).reason


@pytest.mark.parametrize("path,is_test", [
    ("tests/test_stock.py", True), ("anagram_test.py", True), ("src/conftest.py", True), ("web/app.spec.ts", True),
    ("test/unit.c", True), ("stock.py", False), ("src/testing_utils.py", False), ("contest.py", False),
])
def test_test_files_are_recognised_by_folder_and_name(path: str, is_test: bool) -> None:
    assert is_test_path(path) is is_test


@pytest.mark.parametrize("goal,asks", [
    ("add a test for parse_config", True), ("write unit tests for the parser", True),
    ("update the tests after the rename", True), ("improve test coverage of stock.py", True),
    ("make the failing tests pass", False), ("change NAME.py; keep the names the tests call", False),
    ("make add_item raise ValueError when the quantity is negative", False),
])
def test_only_a_goal_that_asks_for_tests_allows_test_edits(goal: str, asks: bool) -> None:
    assert goal_asks_for_tests(goal) is asks


def test_refactors_and_docs_preserve_behaviour() -> None:
    assert preserves_behaviour("refactor parse_config into smaller functions")
    assert preserves_behaviour("add a docstring to add_item")
    assert not preserves_behaviour("make add_item raise ValueError when the quantity is negative")
    assert preserves_behaviour("# Task\n\nRename get_x to x across the package. Update every caller.")
    assert preserves_behaviour("Speed up parse_config; no behaviour change.")


def test_such_words_past_the_goals_first_sentence_describe_the_task_not_the_change() -> None:
    """An exercise's instructions ("you'll clean up valid numbers") ask for new behaviour: a stage
    that fixes no failing test must not verify because a word like "clean up" appears in them."""
    goal = ("# Introduction\n\nYou've joined LinkLine, a communications company.\nYour mission is to turn "
            "this chaos into order.\nYou'll clean up valid numbers, formatting them appropriately.\n"
            "Add comments where the rules are subtle.")
    assert not preserves_behaviour(goal)


@pytest.mark.parametrize("goal,several", [
    ("make add_item raise ValueError when the quantity is negative", False),
    ("split parse_config into smaller functions", False),
    ("validate quantities and document them", True),
    ("- add a total() method\n- rename remove_item to take()", True),
    ("Implement the rules:\n- 3 gives Pling\nUse the instructions above to change raindrops.py", False),
])
def test_a_goal_names_several_changes_only_when_it_lists_or_joins_them(goal: str, several: bool) -> None:
    assert several_changes(goal) is several


def test_files_named_by_the_goal_are_found_except_tests(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    for name in ("pkg/calc.py", "calc_test.py", "README.md"):
        (tmp_path / name).write_text("")
    goal = "Use the instructions above to change pkg/calc.py; keep the names calc_test.py calls (see README.md)"
    assert named_files(goal, tmp_path) == ["pkg/calc.py", "README.md"]


def test_plan_stages_that_only_test_review_or_tidy_are_dropped() -> None:
    reply = ('{"stages": [{"title": "Validate", "intent": "raise on negative", "files": ["stock.py", '
             '"tests/test_stock.py"]}, {"title": "Update the unit tests", "intent": "cover it", '
             '"files": ["tests/test_stock.py"]}, {"title": "Review and test", "intent": "check", '
             '"files": ["stock.py"]}]}')
    [stage] = parse_plan(reply, 3, "make add_item raise ValueError for negative quantities")
    assert stage["files"] == ["stock.py"] and stage["id"] == 1
    assert len(parse_plan(reply, 3, "raise on negatives and add a test for it")) == 3
    with pytest.raises(ModelReplyError, match="only tests, reviews or tidies"):
        parse_plan('{"stages": [{"title": "Refactor", "intent": "tidy", "files": ["a.py"]}]}', 3, "fix the bug")
    # a stage titled as a refactor that does what the goal says is the goal's own stage
    goal = "rename load_cfg to load_config in core.py"
    renamed = ('{"stages": [{"title": "Refactor core.py", "intent": "rename load_cfg to load_config", '
               '"files": ["core.py"]}]}')
    assert len(parse_plan(renamed, 2, goal)) == 1
