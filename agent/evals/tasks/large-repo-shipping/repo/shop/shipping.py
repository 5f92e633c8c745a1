"""What a parcel costs to send."""

PER_KG = 1.25


def shipping_cost(weight_kg: float) -> float:
    """The price of sending a parcel of ``weight_kg``."""
    return round(weight_kg * PER_KG, 2)
