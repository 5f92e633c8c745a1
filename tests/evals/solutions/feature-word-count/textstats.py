"""Statistics about a text."""


def count_lines(text: str) -> int:
    """Lines in ``text``; a last line without a newline counts."""
    return len(text.splitlines())


def count_words(text: str) -> int:
    return len(text.split())
