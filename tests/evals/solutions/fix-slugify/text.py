"""Text helpers for page addresses."""


def slugify(title: str) -> str:
    """A URL slug: the title's words in lower case joined by single hyphens."""
    return "-".join(title.lower().split())
