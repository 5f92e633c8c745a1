"""Making and listing users."""

from models import User


def make_user(name: str, email: str) -> User:
    return User(name.strip(), email.strip().lower())


def directory(users: list[User]) -> str:
    return "\n".join(u.display() for u in sorted(users, key=lambda u: u.name))
