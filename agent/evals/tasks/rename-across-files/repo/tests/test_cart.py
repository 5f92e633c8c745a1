from shop.cart import Cart


def test_total_with_tax() -> None:
    cart = Cart()
    cart.add(10)
    cart.add(5)
    assert cart.total() == 18.0
