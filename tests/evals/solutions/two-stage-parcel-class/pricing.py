"""Prices of sending parcels."""

from parcels import parcel_class


def shipping(weight: float) -> float:
    if parcel_class(weight) == "heavy":
        return 25.0
    return 4.5 + weight * 0.5


def handling(weight: float) -> float:
    if parcel_class(weight) == "heavy":
        return 10.0
    return 1.0
