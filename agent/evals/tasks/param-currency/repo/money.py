"""Showing prices."""


def format_price(amount: float) -> str:
    """``amount`` with two decimals and its currency."""
    return f"{amount:.2f} EUR"


def format_prices(amounts: list[float]) -> str:
    return ", ".join(format_price(a) for a in amounts)
