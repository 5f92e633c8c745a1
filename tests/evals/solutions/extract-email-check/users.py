"""Registering users."""

_users: dict[str, str] = {}


def is_valid_email(email: str) -> bool:
    local, _, domain = email.partition("@")
    return bool(local) and "." in domain and not domain.startswith(".") and not domain.endswith(".")


def register(name: str, email: str) -> None:
    """Keep ``name`` under ``email``; a malformed email is refused."""
    if not is_valid_email(email):
        raise ValueError(f"not an email address: {email}")
    _users[email] = name


def name_of(email: str) -> str:
    return _users[email]
