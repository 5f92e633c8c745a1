from text import slugify


def test_two_words() -> None:
    assert slugify("Hello World") == "hello-world"


def test_runs_of_spaces() -> None:
    assert slugify("  Many   spaces here ") == "many-spaces-here"
