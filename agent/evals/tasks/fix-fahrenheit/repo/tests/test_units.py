from units import celsius_to_fahrenheit, fahrenheit_to_celsius


def test_boiling_point() -> None:
    assert celsius_to_fahrenheit(100) == 212


def test_freezing_point_back() -> None:
    assert fahrenheit_to_celsius(32) == 0
