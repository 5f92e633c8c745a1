from durations import format_duration, parse_duration


def test_parse() -> None:
    assert parse_duration("1h30m") == 5400


def test_format() -> None:
    assert format_duration(3723) == "1h2m3s"
