import words


def test_empty_and_single() -> None:
    assert words.is_palindrome("") and words.is_palindrome("x")


def test_quotes_and_digits() -> None:
    assert words.is_palindrome("No 'x' in Nixon")
    assert words.is_palindrome("12321") and not words.is_palindrome("123")


def test_near_miss() -> None:
    assert not words.is_palindrome("ab")
