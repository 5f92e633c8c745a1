from shop.report import summary


def test_summary() -> None:
    assert summary([1.0, 2.0]) == "2 items, 3.60 with tax"
