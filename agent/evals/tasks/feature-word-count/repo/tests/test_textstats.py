import textstats


def test_lines() -> None:
    assert textstats.count_lines("a\nb\nc") == 3


def test_words() -> None:
    assert textstats.count_words("one two  three\nfour") == 4
    assert textstats.count_words("") == 0
