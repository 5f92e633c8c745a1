from scores import average


def test_one_score() -> None:
    assert average([5]) == 5


def test_empty_is_a_float() -> None:
    result = average([])
    assert isinstance(result, float) and result == 0.0
