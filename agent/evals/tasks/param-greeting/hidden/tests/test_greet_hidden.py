from greet import greet


def test_punctuation() -> None:
    assert greet("Ann", punctuation="?") == "Hello, Ann?"
    assert greet("Bo", ".") == "Hello, Bo."
    assert greet("Cy") == "Hello, Cy!"
