"""Number helpers."""


def clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def percent(part: float, whole: float) -> float:
    return round(100 * part / whole, 1)
