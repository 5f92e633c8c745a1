"""Greetings."""


def greet(name: str) -> str:
    """A greeting for ``name``."""
    return f"Hello, {name}!"


def greet_all(names: list[str]) -> list[str]:
    return [greet(n) for n in names]
