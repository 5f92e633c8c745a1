"""Reading settings files made of ``key = value`` lines."""


def parse_config(text: str) -> dict[str, str]:
    """The settings in ``text``."""
    return {}
