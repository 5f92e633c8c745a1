from shop.checkout import checkout_total


def test_light_parcel() -> None:
    assert checkout_total([10.0, 5.0], 2) == 17.5
