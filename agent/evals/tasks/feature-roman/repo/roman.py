"""Roman numerals."""


def to_roman(number: int) -> str:
    """``number`` (1 to 3999) in Roman numerals."""
    raise NotImplementedError
