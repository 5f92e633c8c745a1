import stats


def test_two_values() -> None:
    assert stats.median([1.0, 2.0]) == 1.5


def test_one_value() -> None:
    assert stats.median([5]) == 5


def test_six_values_unsorted() -> None:
    assert stats.median([7, 1, 3, 5, 9, 11]) == 6


def test_the_list_is_not_reordered() -> None:
    values = [3, 1, 2, 0]
    stats.median(values)
    assert values == [3, 1, 2, 0]
