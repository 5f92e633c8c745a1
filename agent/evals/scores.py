"""What an evaluation measured: per task and repeat whether the run solved it, why not, its
seconds and model calls; per suite the solve rate and how much it moved between repeats."""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class TaskRun:
    solved: bool
    why: str  # the first failing check, "" when solved
    seconds: float
    calls: int  # model calls the run made
    seed: int
    temperature: float


@dataclass
class TaskScore:
    task: str
    part: str
    runs: list[TaskRun] = field(default_factory=list)

    @property
    def solved(self) -> int:
        return sum(r.solved for r in self.runs)

    @property
    def score(self) -> float:
        return self.solved / len(self.runs) if self.runs else 0.0


@dataclass
class SuiteScore:
    model: str
    prompts: str  # hash of the template files scored (agent.prompts.prompts_hash)
    tasks: list[TaskScore]
    repeat: int
    tasks_digest: str = ""
    id: str = ""  # set when appended to the history
    when: str = ""

    def part(self, name: str) -> SuiteScore:
        """The same result restricted to one part (tuning or heldout)."""
        return SuiteScore(self.model, self.prompts, [t for t in self.tasks if t.part == name], self.repeat,
                          self.tasks_digest, self.id, self.when)

    @property
    def total(self) -> float:
        return sum(t.score for t in self.tasks)

    @property
    def rate(self) -> float:
        """The suite's solve rate: the mean over tasks of solved/K."""
        return self.total / len(self.tasks) if self.tasks else 0.0

    def repeat_rates(self) -> list[float]:
        """The solve rate of each repeat on its own (repeat k: every task's k-th run)."""
        if not self.tasks:
            return []
        return [sum(t.runs[k].solved for t in self.tasks) / len(self.tasks) for k in range(self.repeat)]

    @property
    def spread(self) -> float:
        """Standard deviation of the per-repeat solve rates (0 with one repeat)."""
        rates = self.repeat_rates()
        return statistics.stdev(rates) if len(rates) > 1 else 0.0

    @property
    def seconds(self) -> float:
        return sum(r.seconds for t in self.tasks for r in t.runs)

    @property
    def calls(self) -> int:
        return sum(r.calls for t in self.tasks for r in t.runs)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "when": self.when, "model": self.model, "prompts": self.prompts,
            "tasks_digest": self.tasks_digest, "repeat": self.repeat,
            "total": self.total, "max": len(self.tasks), "rate": self.rate, "spread": self.spread,
            "repeat_rates": self.repeat_rates(), "seconds": round(self.seconds, 1), "calls": self.calls,
            "tasks": {
                t.task: {"part": t.part, "score": t.score, "solved": t.solved, "runs": [asdict(r) for r in t.runs]}
                for t in self.tasks
            },
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SuiteScore:
        tasks = [TaskScore(name, t["part"], [TaskRun(**r) for r in t["runs"]]) for name, t in data["tasks"].items()]
        return cls(data["model"], data["prompts"], tasks, data["repeat"], data.get("tasks_digest", ""),
                   data.get("id", ""), data.get("when", ""))
