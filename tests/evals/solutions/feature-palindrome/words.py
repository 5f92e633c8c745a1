"""Word puzzles."""


def reverse_words(sentence: str) -> str:
    return " ".join(reversed(sentence.split()))


def is_palindrome(text: str) -> bool:
    kept = [c.lower() for c in text if c.isalnum()]
    return kept == kept[::-1]
