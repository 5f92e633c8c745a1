import textstats


def test_leading_and_trailing_space() -> None:
    assert textstats.count_words("  leading and trailing  ") == 3


def test_punctuation_stays_with_its_word() -> None:
    assert textstats.count_words("hello, world") == 2


def test_tabs() -> None:
    assert textstats.count_words("a\tb") == 2
