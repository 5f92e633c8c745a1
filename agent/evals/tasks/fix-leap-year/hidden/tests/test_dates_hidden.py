from dates import days_in_year, is_leap_year


def test_more_centuries() -> None:
    assert not is_leap_year(2100) and not is_leap_year(1800)
    assert is_leap_year(2400) and is_leap_year(1600)


def test_more_years() -> None:
    assert is_leap_year(1996) and not is_leap_year(1999)
    assert days_in_year(1900) == 365
