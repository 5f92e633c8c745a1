"""Book titles."""

SMALL = {"a", "an", "the", "of", "and"}


def title_case(text: str) -> str:
    """Each word capitalised, except the small words (a, an, the, of, and) after the first."""
    return " ".join(word if word in SMALL else word.capitalize() for word in text.split())
