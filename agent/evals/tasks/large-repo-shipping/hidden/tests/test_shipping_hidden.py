from shop.checkout import checkout_total
from shop.shipping import shipping_cost


def test_heavy_parcels_are_flat() -> None:
    assert shipping_cost(25) == 30.0 and shipping_cost(100) == 30.0
    assert checkout_total([1.0], 21) == 31.0


def test_light_parcels_unchanged() -> None:
    assert shipping_cost(20) == 25.0 and shipping_cost(4) == 5.0
