"""Kinds of parcels."""


def parcel_class(weight: float) -> str:
    return "heavy" if weight > 30 else "normal"
