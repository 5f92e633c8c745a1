"""A progress banner."""

from number_tools import clamp, percent
from text_tools import initials, shout


def banner(name: str, done: float, total: float) -> str:
    share = clamp(percent(done, total), 0, 100)
    return f"{initials(name)}: {share}% {shout('go') if share < 100 else 'done'}"
