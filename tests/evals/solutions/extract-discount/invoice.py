"""Invoices."""


def apply_discount(amount: float, percent: float) -> float:
    return max(amount - amount * percent / 100, 0.0)


def invoice_total(amounts: list[float], discount_percent: float) -> float:
    """The sum of ``amounts`` after a percentage discount, never below zero, rounded to cents."""
    return round(apply_discount(sum(amounts), discount_percent), 2)
