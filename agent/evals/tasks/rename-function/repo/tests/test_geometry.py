import geometry


def test_describe() -> None:
    assert geometry.describe(2, 3) == "2 x 3 = 6"
