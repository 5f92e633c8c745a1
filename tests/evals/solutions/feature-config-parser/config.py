"""Reading settings files made of ``key = value`` lines."""


def parse_config(text: str) -> dict[str, str]:
    """The settings in ``text``."""
    settings = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, _, value = line.partition("=")
        settings[key.strip()] = value.strip()
    return settings
