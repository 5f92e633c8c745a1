"""Whether one evaluation beats another beyond the noise: a paired, one-sided exact sign test
over the tasks both scored (ADR 0009 says why this test), and the self-refinement gate built on it."""

from __future__ import annotations

from dataclasses import dataclass
from math import comb

from agent.errors import AgentError
from agent.evals.scores import SuiteScore

ALPHA = 0.05  # a win must be this unlikely under "both prompt sets are as good"


def sign_test(wins: int, losses: int) -> float:
    """One-sided exact p-value of at least ``wins`` wins among ``wins + losses`` coin flips."""
    n = wins + losses
    if n == 0:
        return 1.0
    return sum(comb(n, k) for k in range(wins, n + 1)) / 2**n


@dataclass(frozen=True)
class Comparison:
    tasks: int  # tasks both results scored
    wins: int  # tasks B solved more often than A
    losses: int  # tasks A solved more often than B
    a_rate: float
    b_rate: float

    @property
    def ties(self) -> int:
        return self.tasks - self.wins - self.losses

    @property
    def p(self) -> float:
        return sign_test(self.wins, self.losses)

    @property
    def beats(self) -> bool:
        return self.p < ALPHA

    def summary(self) -> str:
        verdict = "beyond the noise" if self.beats else "within the noise"
        return (f"{self.b_rate:.2f} vs {self.a_rate:.2f} on {self.tasks} task(s): {self.wins} better, "
                f"{self.losses} worse, {self.ties} tied; sign test p={self.p:.3f} ({verdict}, needs p<{ALPHA})")


def compare(a: SuiteScore, b: SuiteScore) -> Comparison:
    """B against A on the tasks both scored, each task one pair of solve fractions."""
    mine = {t.task: t.score for t in a.tasks}
    theirs = {t.task: t.score for t in b.tasks}
    common = sorted(set(mine) & set(theirs))
    if not common:
        raise AgentError("the two results share no task: compare results of the same suite")
    wins = sum(theirs[n] > mine[n] for n in common)
    losses = sum(theirs[n] < mine[n] for n in common)
    return Comparison(len(common), wins, losses, sum(mine[n] for n in common) / len(common),
                      sum(theirs[n] for n in common) / len(common))


def gate(current: SuiteScore, proposed: SuiteScore) -> tuple[bool, str]:
    """Self-refinement's rule: the held-out part improves beyond the noise and the tuning part
    does not fall. Returns (passes, the figures that decided it)."""
    held = compare(current.part("heldout"), proposed.part("heldout"))
    tuning_now, tuning_new = current.part("tuning").rate, proposed.part("tuning").rate
    figures = f"held-out {held.summary()}; tuning {tuning_new:.2f} vs {tuning_now:.2f}"
    if not held.beats:
        return False, f"the proposed prompts do not beat the current ones on the held-out tasks: {figures}"
    if tuning_new < tuning_now:
        return False, f"the proposed prompts score lower on the tuning tasks: {figures}"
    return True, figures
