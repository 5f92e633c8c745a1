import pytest
from units import celsius_to_fahrenheit, fahrenheit_to_celsius


def test_freezing_point() -> None:
    assert celsius_to_fahrenheit(0) == 32


def test_minus_forty_is_the_same() -> None:
    assert celsius_to_fahrenheit(-40) == -40


def test_round_trip() -> None:
    assert fahrenheit_to_celsius(celsius_to_fahrenheit(37.5)) == pytest.approx(37.5)
