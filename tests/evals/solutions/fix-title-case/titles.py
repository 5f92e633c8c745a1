"""Book titles."""

SMALL = {"a", "an", "the", "of", "and"}


def title_case(text: str) -> str:
    """Each word capitalised, except the small words (a, an, the, of, and) after the first."""
    words = [word.lower() for word in text.split()]
    return " ".join(
        word if i and word in SMALL else word.capitalize() for i, word in enumerate(words)
    )
