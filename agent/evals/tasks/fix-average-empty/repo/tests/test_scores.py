from scores import average, best


def test_average() -> None:
    assert average([1, 2, 3]) == 2


def test_average_of_nothing() -> None:
    assert average([]) == 0.0


def test_best() -> None:
    assert best([1, 5, 2]) == 5
