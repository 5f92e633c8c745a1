from billing.receipt import receipt_line


def test_food() -> None:
    assert receipt_line("bread", 2.0, "food") == "bread: 2.00 + 0.14 tax"
