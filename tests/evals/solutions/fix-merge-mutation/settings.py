"""Layered settings."""


def merge(defaults: dict[str, object], overrides: dict[str, object]) -> dict[str, object]:
    """The defaults with the overrides applied."""
    return {**defaults, **overrides}
