from text import slugify


def test_one_word() -> None:
    assert slugify("One") == "one"


def test_tabs_and_newlines_separate_words() -> None:
    assert slugify("a\tb\nc") == "a-b-c"


def test_empty() -> None:
    assert slugify("") == ""
