"""Greetings."""


def greet(name: str, punctuation: str = "!") -> str:
    """A greeting for ``name``."""
    return f"Hello, {name}{punctuation}"


def greet_all(names: list[str]) -> list[str]:
    return [greet(n) for n in names]
