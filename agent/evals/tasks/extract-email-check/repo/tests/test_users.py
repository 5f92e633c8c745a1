import pytest
import users


def test_register() -> None:
    users.register("Ann", "ann@example.org")
    assert users.name_of("ann@example.org") == "Ann"


def test_bad_email() -> None:
    with pytest.raises(ValueError):
        users.register("Bob", "bob@example")
