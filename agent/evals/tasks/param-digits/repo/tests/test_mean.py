from mean import average


def test_average() -> None:
    assert average([1, 2, 2]) == 1.67
