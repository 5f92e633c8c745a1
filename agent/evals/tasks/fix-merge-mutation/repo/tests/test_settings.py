from settings import merge


def test_overrides_win() -> None:
    assert merge({"a": 1, "b": 2}, {"b": 3}) == {"a": 1, "b": 3}


def test_defaults_are_left_alone() -> None:
    defaults = {"a": 1}
    merge(defaults, {"a": 2, "c": 3})
    assert defaults == {"a": 1}
