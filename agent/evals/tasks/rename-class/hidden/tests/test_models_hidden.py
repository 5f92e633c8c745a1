import models
from service import make_user


def test_user() -> None:
    assert isinstance(make_user("a", "b"), models.User)
    assert not hasattr(models, "Usr")
