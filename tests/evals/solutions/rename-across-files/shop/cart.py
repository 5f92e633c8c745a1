"""A shopping cart."""

from shop.pricing import order_total


class Cart:
    def __init__(self, tax_rate: float = 0.2) -> None:
        self.prices: list[float] = []
        self.tax_rate = tax_rate

    def add(self, price: float) -> None:
        self.prices.append(price)

    def total(self) -> float:
        return order_total(self.prices, self.tax_rate)
