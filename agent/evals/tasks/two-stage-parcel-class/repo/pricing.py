"""Prices of sending parcels."""


def shipping(weight: float) -> float:
    if weight > 30:
        return 25.0
    return 4.5 + weight * 0.5


def handling(weight: float) -> float:
    if weight > 30:
        return 10.0
    return 1.0
