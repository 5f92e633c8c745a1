import pytest
from inventory import Inventory


def test_remove_one_by_default_and_drop_at_zero() -> None:
    inv = Inventory()
    inv.add("bolt")
    inv.remove("bolt")
    assert "bolt" not in inv.items


def test_too_many() -> None:
    inv = Inventory()
    inv.add("bolt", 1)
    with pytest.raises(ValueError):
        inv.remove("bolt", 2)
    assert inv.count("bolt") == 1


def test_unknown_item() -> None:
    with pytest.raises(ValueError):
        Inventory().remove("ghost")
