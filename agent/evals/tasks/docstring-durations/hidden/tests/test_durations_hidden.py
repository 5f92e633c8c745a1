import pytest
from durations import parse_duration


def test_all_units() -> None:
    assert parse_duration("1d1h1m1s") == 90061 and parse_duration(" 45s ") == 45


@pytest.mark.parametrize("text", ["", "5", "h", "3x", "1h 2m"])
def test_bad(text: str) -> None:
    if text == "":
        assert parse_duration(text) == 0
    else:
        with pytest.raises(ValueError):
            parse_duration(text)
