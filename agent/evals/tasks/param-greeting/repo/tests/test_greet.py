from greet import greet, greet_all


def test_greet() -> None:
    assert greet("Ann") == "Hello, Ann!"


def test_greet_all() -> None:
    assert greet_all(["A", "B"]) == ["Hello, A!", "Hello, B!"]
