"""Telling a better result from noise: the paired sign test over tasks, and the self-refinement
gate's rule (held-out better beyond the noise, tuning not lower)."""

from __future__ import annotations

import pytest

from agent.errors import AgentError
from agent.evals.compare import compare, gate, sign_test
from agent.evals.scores import SuiteScore, TaskRun, TaskScore


def suite(parts: dict[str, tuple[str, list[bool]]], prompts: str = "p") -> SuiteScore:
    tasks = [TaskScore(name, part, [TaskRun(ok, "" if ok else "x", 1.0, 2, k, 0.0) for k, ok in enumerate(runs)])
             for name, (part, runs) in parts.items()]
    return SuiteScore("m", prompts, tasks, len(next(iter(parts.values()))[1]))


def test_sign_test_is_exact_and_one_sided() -> None:
    assert sign_test(5, 0) == pytest.approx(1 / 32)
    assert sign_test(4, 0) == pytest.approx(1 / 16)
    assert sign_test(0, 0) == 1.0 and sign_test(0, 3) == 1.0
    assert sign_test(6, 1) == pytest.approx(8 / 128)


def test_compare_pairs_tasks_by_name_and_counts_ties() -> None:
    a = suite({"t1": ("heldout", [False, False]), "t2": ("heldout", [True, False]), "t3": ("heldout", [True, True])})
    b = suite({"t1": ("heldout", [True, False]), "t2": ("heldout", [True, False]), "t9": ("heldout", [True, True])})
    c = compare(a, b)
    assert (c.tasks, c.wins, c.losses, c.ties) == (2, 1, 0, 1)
    assert c.a_rate == 0.25 and c.b_rate == 0.5 and not c.beats
    assert "within the noise" in c.summary()
    with pytest.raises(AgentError, match="share no task"):
        compare(a, suite({"other": ("heldout", [True])}))


def test_spread_is_the_deviation_between_repeats() -> None:
    s = suite({"t1": ("tuning", [True, False, True]), "t2": ("tuning", [True, False, False])})
    assert s.repeat_rates() == [1.0, 0.0, 0.5] and s.rate == pytest.approx(0.5)
    assert s.spread == pytest.approx(0.5)
    assert suite({"t1": ("tuning", [True])}).spread == 0.0


def five_heldout(win: bool, tuning: list[bool]) -> SuiteScore:
    parts = {f"h{i}": ("heldout", [win]) for i in range(5)}
    parts["t"] = ("tuning", tuning)
    return suite(parts)


def test_gate_accepts_a_heldout_win_beyond_the_noise() -> None:
    ok, figures = gate(five_heldout(False, [True]), five_heldout(True, [True]))
    assert ok and "5 better, 0 worse" in figures and "p=0.031" in figures


def test_gate_refuses_a_win_within_the_noise() -> None:
    current = suite({"h1": ("heldout", [False]), "h2": ("heldout", [False]), "t": ("tuning", [True])})
    proposed = suite({"h1": ("heldout", [True]), "h2": ("heldout", [True]), "t": ("tuning", [True])})
    ok, why = gate(current, proposed)
    assert not ok and why.startswith("the proposed prompts do not beat the current ones on the held-out tasks")


def test_gate_refuses_a_fall_on_the_tuning_tasks() -> None:
    ok, why = gate(five_heldout(False, [True]), five_heldout(True, [False]))
    assert not ok and why.startswith("the proposed prompts score lower on the tuning tasks")
