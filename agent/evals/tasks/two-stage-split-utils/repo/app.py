"""A progress banner."""

from utils import clamp, initials, percent, shout


def banner(name: str, done: float, total: float) -> str:
    share = clamp(percent(done, total), 0, 100)
    return f"{initials(name)}: {share}% {shout('go') if share < 100 else 'done'}"
