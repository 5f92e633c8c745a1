from service import directory, make_user


def test_directory() -> None:
    users = [make_user(" Zoe ", "ZOE@x.org"), make_user("Al", "al@x.org")]
    assert directory(users) == "Al <al@x.org>\nZoe <zoe@x.org>"
