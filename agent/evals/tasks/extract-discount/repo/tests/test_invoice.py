from invoice import invoice_total


def test_discount() -> None:
    assert invoice_total([60.0, 40.0], 10) == 90.0


def test_never_below_zero() -> None:
    assert invoice_total([10.0], 150) == 0.0
