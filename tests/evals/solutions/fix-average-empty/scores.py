"""Scores of a quiz."""


def average(scores: list[float]) -> float:
    """The mean score; 0.0 when there are none."""
    if not scores:
        return 0.0
    return sum(scores) / len(scores)


def best(scores: list[float]) -> float:
    return max(scores, default=0.0)
