"""A tiny stock ledger."""


def add_item(stock: dict[str, int], name: str, quantity: int) -> None:
    """Add quantity units of name to stock."""
    if quantity < 0:
        raise ValueError(f"negative quantity of {name}: {quantity}")
    stock[name] = stock.get(name, 0) + quantity


def total(stock: dict[str, int]) -> int:
    """All units held."""
    return sum(stock.values())
