"""Receipt lines."""

from billing.vat import vat


def receipt_line(name: str, amount: float, category: str) -> str:
    return f"{name}: {amount:.2f} + {vat(amount, category):.2f} tax"
