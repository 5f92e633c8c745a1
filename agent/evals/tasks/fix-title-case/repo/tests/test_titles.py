from titles import title_case


def test_small_words_inside() -> None:
    assert title_case("war and peace") == "War and Peace"


def test_small_first_word() -> None:
    assert title_case("the lord of the rings") == "The Lord of the Rings"
