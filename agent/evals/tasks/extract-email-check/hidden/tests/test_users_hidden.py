import pytest
import users


@pytest.mark.parametrize("email", ["a@b.org", "x.y@mail.example.com"])
def test_valid(email: str) -> None:
    assert users.is_valid_email(email) is True


@pytest.mark.parametrize("email", ["@b.org", "a@b", "a@.org", "a@org.", "plain"])
def test_invalid(email: str) -> None:
    assert users.is_valid_email(email) is False
    with pytest.raises(ValueError):
        users.register("n", email)
