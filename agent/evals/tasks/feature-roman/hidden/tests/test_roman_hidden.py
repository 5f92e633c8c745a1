import pytest
from roman import to_roman


def test_subtractive_pairs() -> None:
    assert [to_roman(n) for n in (40, 90, 400, 900, 444)] == ["XL", "XC", "CD", "CM", "CDXLIV"]


def test_largest() -> None:
    assert to_roman(3999) == "MMMCMXCIX"


@pytest.mark.parametrize("number", [0, -1, 4000])
def test_out_of_range(number: int) -> None:
    with pytest.raises(ValueError):
        to_roman(number)
