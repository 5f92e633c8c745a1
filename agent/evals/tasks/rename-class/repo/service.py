"""Making and listing users."""

from models import Usr


def make_user(name: str, email: str) -> Usr:
    return Usr(name.strip(), email.strip().lower())


def directory(users: list[Usr]) -> str:
    return "\n".join(u.display() for u in sorted(users, key=lambda u: u.name))
