"""Helpers."""


def shout(text: str) -> str:
    return text.upper() + "!"


def initials(name: str) -> str:
    return "".join(part[0].upper() for part in name.split())


def clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def percent(part: float, whole: float) -> float:
    return round(100 * part / whole, 1)
