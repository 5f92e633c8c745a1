from dates import days_in_year, is_leap_year


def test_ordinary_years() -> None:
    assert is_leap_year(2024) and not is_leap_year(2023)


def test_centuries() -> None:
    assert not is_leap_year(1900)
    assert is_leap_year(2000)


def test_days() -> None:
    assert days_in_year(2024) == 366
