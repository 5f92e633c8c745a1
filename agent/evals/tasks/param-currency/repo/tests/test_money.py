from money import format_price, format_prices


def test_price() -> None:
    assert format_price(3) == "3.00 EUR"


def test_prices() -> None:
    assert format_prices([1, 2.5]) == "1.00 EUR, 2.50 EUR"
