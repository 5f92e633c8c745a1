import stock


def test_add_item_accumulates() -> None:
    held: dict[str, int] = {}
    stock.add_item(held, "bolt", 2)
    stock.add_item(held, "bolt", 3)
    assert held == {"bolt": 5}
    assert stock.total(held) == 5
