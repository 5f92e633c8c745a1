import stats


def test_mean() -> None:
    assert stats.mean([1, 2, 3, 6]) == 3


def test_median_of_an_odd_count() -> None:
    assert stats.median([3, 1, 2]) == 2


def test_median_of_an_even_count() -> None:
    assert stats.median([4, 1, 3, 2]) == 2.5
