"""Summary statistics."""


def mean(values: list[float]) -> float:
    return sum(values) / len(values)


def median(values: list[float]) -> float:
    """The middle value (the mean of the two middle ones when the count is even)."""
    ordered = sorted(values)
    return ordered[len(ordered) // 2]
