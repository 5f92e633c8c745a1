"""Fixtures the approval tests share."""

from __future__ import annotations

from pathlib import Path

import pytest
from approval_helpers import keygen


@pytest.fixture
def alice(tmp_path: Path) -> Path:
    """A real ssh-keygen key for alice@example.com."""
    return keygen(tmp_path / "alice", "alice@example.com")
