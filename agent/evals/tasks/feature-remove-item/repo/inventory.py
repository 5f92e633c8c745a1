"""Items held in a store."""


class Inventory:
    def __init__(self) -> None:
        self.items: dict[str, int] = {}

    def add(self, name: str, quantity: int = 1) -> None:
        self.items[name] = self.items.get(name, 0) + quantity

    def count(self, name: str) -> int:
        return self.items.get(name, 0)
