from money import format_price


def test_currency() -> None:
    assert format_price(3, currency="USD") == "3.00 USD"
    assert format_price(0.5, "GBP") == "0.50 GBP"
    assert format_price(7) == "7.00 EUR"
