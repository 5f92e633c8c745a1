"""Totals at the checkout."""

from shop.shipping import shipping_cost


def checkout_total(prices: list[float], weight_kg: float) -> float:
    return round(sum(prices) + shipping_cost(weight_kg), 2)
