from titles import title_case


def test_a_first() -> None:
    assert title_case("a tale of two cities") == "A Tale of Two Cities"


def test_shouted_small_words() -> None:
    assert title_case("WAR AND PEACE") == "War and Peace"


def test_empty() -> None:
    assert title_case("") == ""
