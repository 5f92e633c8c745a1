"""Value added tax."""

RATES = {"standard": 0.19, "food": 0.07, "books": 0.07}


def vat(amount: float, category: str) -> float:
    """The tax on ``amount`` for goods of ``category``, rounded to cents."""
    return round(amount * RATES.get(category, RATES["standard"]), 2)
