from config import parse_config


def test_spaces_around_keys_and_values() -> None:
    assert parse_config("  key   =   some value  \n") == {"key": "some value"}


def test_equals_inside_a_value() -> None:
    assert parse_config("url = http://x/?a=b\n") == {"url": "http://x/?a=b"}


def test_indented_comment() -> None:
    assert parse_config("   # note\nk = v") == {"k": "v"}
