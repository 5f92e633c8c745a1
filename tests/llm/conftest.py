"""Model fixtures: the real 0.5B, assembled once into the shared models dir and loaded once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.llm.llama import LlamaModel
from agent.llm.registry import TEST_MODEL


@pytest.fixture(scope="session")
def small_model(small_model_path: Path) -> Iterator[LlamaModel]:
    """One loaded 0.5B with a 4096-token context, shared by the model tests of a session."""
    model = LlamaModel(small_model_path, n_ctx=4096, name=TEST_MODEL)
    yield model
    model.close()
