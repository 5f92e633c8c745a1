import pytest

from inventory import Inventory


def test_add_and_quantity():
    inv = Inventory()
    inv.add_item("apple", 3, 0.5)
    inv.add_item("apple", 2, 0.5)
    assert inv.quantity("apple") == 5


def test_remove_more_than_stock_fails():
    inv = Inventory()
    inv.add_item("pear", 1, 1.0)
    with pytest.raises(ValueError):
        inv.remove_item("pear", 2)


def test_total_value():
    inv = Inventory()
    inv.add_item("apple", 4, 0.5)
    inv.add_item("pear", 2, 1.5)
    assert inv.total_value() == 5.0
