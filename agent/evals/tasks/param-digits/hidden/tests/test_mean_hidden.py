from mean import average


def test_digits() -> None:
    assert average([1, 2, 2], digits=3) == 1.667
    assert average([1, 2, 2], 0) == 2.0
    assert average([1, 2]) == 1.5
