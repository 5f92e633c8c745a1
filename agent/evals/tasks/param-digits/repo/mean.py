"""Averages."""


def average(values: list[float]) -> float:
    """The arithmetic mean of ``values``, rounded to 2 decimals."""
    return round(sum(values) / len(values), 2)
