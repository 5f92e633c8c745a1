import pytest
from invoice import apply_discount, invoice_total


def test_apply_discount() -> None:
    assert apply_discount(100, 10) == pytest.approx(90)
    assert apply_discount(80, 25) == pytest.approx(60)


def test_total_unchanged() -> None:
    assert invoice_total([19.99, 0.01], 0) == 20.0
    assert invoice_total([], 50) == 0.0
