from pricing import handling, shipping


def test_shipping() -> None:
    assert shipping(10) == 9.5 and shipping(30) == 19.5 and shipping(31) == 25.0


def test_handling() -> None:
    assert handling(30) == 1.0 and handling(31) == 10.0
