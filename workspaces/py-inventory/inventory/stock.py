"""Stock levels and their value."""


class Inventory:
    def __init__(self):
        self.items = {}

    def add_item(self, name, quantity, price):
        """Add quantity units of name at a unit price (the latest price wins)."""
        current = self.items.get(name, (0, price))[0]
        self.items[name] = (current + quantity, price)

    def remove_item(self, name, quantity):
        """Take quantity units of name out of stock."""
        have, price = self.items[name]
        if quantity > have:
            raise ValueError(f"only {have} of {name} in stock")
        self.items[name] = (have - quantity, price)

    def quantity(self, name):
        return self.items.get(name, (0, 0))[0]

    def total_value(self):
        total = 0
        for quantity, price in self.items.values():
            total += quantity * price
        return total
