from config import parse_config


def test_pairs() -> None:
    assert parse_config("a = 1\nb=two\n") == {"a": "1", "b": "two"}


def test_comments_and_blank_lines() -> None:
    assert parse_config("# settings\n\nname = x\n") == {"name": "x"}
