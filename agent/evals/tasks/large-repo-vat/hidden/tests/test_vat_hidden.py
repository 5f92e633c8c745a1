from billing.vat import vat


def test_books_reduced() -> None:
    assert vat(100, "books") == 7.0


def test_others_unchanged() -> None:
    assert vat(100, "standard") == 19.0 and vat(100, "toys") == 19.0 and vat(10, "food") == 0.7
