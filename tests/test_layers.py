"""The layers in ``.importlinter`` hold: every room imports only downwards, no loops."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT = str(Path(sys.executable).with_name("lint-imports"))


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` on the ``agent`` package found first under ``root``."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run([LINT, "--no-cache", str(ROOT / ".importlinter")],
                          cwd=root, env=env, capture_output=True, text=True, timeout=120)


def test_the_layers_hold() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout[result.stdout.find("Broken contracts"):]


def test_an_upward_import_breaks_them(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "agent", tmp_path / "agent", ignore=shutil.ignore_patterns("__pycache__"))
    leaf = tmp_path / "agent" / "llm" / "gpu.py"
    leaf.write_text(leaf.read_text() + "\nfrom agent.runs import session  # noqa: E402\n")
    result = lint_imports(tmp_path)
    assert result.returncode == 1
    assert "agent.llm is not allowed to import agent.runs" in result.stdout
    assert "agent.llm.gpu -> agent.runs.session" in result.stdout
