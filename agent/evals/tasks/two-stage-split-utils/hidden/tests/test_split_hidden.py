from number_tools import clamp, percent
from text_tools import initials, shout


def test_moved() -> None:
    assert shout("hi") == "HI!" and initials("grace brewster hopper") == "GBH"
    assert clamp(5, 0, 3) == 3 and percent(1, 3) == 33.3
