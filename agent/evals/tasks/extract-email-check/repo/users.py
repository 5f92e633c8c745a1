"""Registering users."""

_users: dict[str, str] = {}


def register(name: str, email: str) -> None:
    """Keep ``name`` under ``email``; a malformed email is refused."""
    local, _, domain = email.partition("@")
    if not local or "." not in domain or domain.startswith(".") or domain.endswith("."):
        raise ValueError(f"not an email address: {email}")
    _users[email] = name


def name_of(email: str) -> str:
    return _users[email]
