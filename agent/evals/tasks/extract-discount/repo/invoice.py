"""Invoices."""


def invoice_total(amounts: list[float], discount_percent: float) -> float:
    """The sum of ``amounts`` after a percentage discount, never below zero, rounded to cents."""
    subtotal = sum(amounts)
    discounted = subtotal - subtotal * discount_percent / 100
    if discounted < 0:
        discounted = 0.0
    return round(discounted, 2)
