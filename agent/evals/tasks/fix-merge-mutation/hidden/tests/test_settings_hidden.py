from settings import merge


def test_overrides_are_left_alone() -> None:
    overrides = {"b": 2}
    merge({"a": 1}, overrides)
    assert overrides == {"b": 2}


def test_a_new_dictionary() -> None:
    defaults = {"a": 1}
    result = merge(defaults, {})
    assert result == {"a": 1} and result is not defaults
