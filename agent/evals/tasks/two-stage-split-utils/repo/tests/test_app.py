from app import banner


def test_banner() -> None:
    assert banner("ada lovelace", 1, 4) == "AL: 25.0% GO!"
    assert banner("x", 5, 4) == "X: 100% done"
