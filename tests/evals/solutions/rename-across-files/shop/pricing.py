"""Prices of an order."""


def order_total(prices: list[float], tax_rate: float) -> float:
    """The sum of ``prices`` with tax, rounded to cents."""
    return round(sum(prices) * (1 + tax_rate), 2)
