import words


def test_reverse_words() -> None:
    assert words.reverse_words("a b c") == "c b a"


def test_palindromes() -> None:
    assert words.is_palindrome("Racecar")
    assert words.is_palindrome("A man, a plan, a canal: Panama")
    assert not words.is_palindrome("hello")
