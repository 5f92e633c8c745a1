"""Averages."""


def average(values: list[float], digits: int = 2) -> float:
    """The arithmetic mean of ``values``, rounded to ``digits`` decimals."""
    return round(sum(values) / len(values), digits)
