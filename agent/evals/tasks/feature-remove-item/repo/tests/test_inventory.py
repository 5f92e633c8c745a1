from inventory import Inventory


def test_add() -> None:
    inv = Inventory()
    inv.add("nail", 3)
    assert inv.count("nail") == 3


def test_remove() -> None:
    inv = Inventory()
    inv.add("nail", 3)
    inv.remove("nail", 2)
    assert inv.count("nail") == 1
