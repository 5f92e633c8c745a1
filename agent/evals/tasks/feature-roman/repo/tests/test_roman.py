from roman import to_roman


def test_small_numbers() -> None:
    assert [to_roman(n) for n in (1, 4, 9, 14)] == ["I", "IV", "IX", "XIV"]


def test_a_year() -> None:
    assert to_roman(2024) == "MMXXIV"
