from shop import pricing


def test_new_name() -> None:
    assert pricing.order_total([10.0], 0.1) == 11.0
    assert not hasattr(pricing, "calc_total")
