"""A tiny inventory: items with a quantity and a unit price."""

from inventory.stock import Inventory

__all__ = ["Inventory"]
