"""A broken policy stops the run with file, line and problem; the shipped one loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.errors import AgentError
from agent.policy.load import SHIPPED_DEFAULT, default_policy_path, load_policy
from agent.policy.model import ALWAYS_PROTECTED
from agent.sandbox.base import Limits

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAKL6iSpa7pAe9XyxtSpV46SmbB+sHpdUjH2Q/nTkdr4 a@b"


def load_text(tmp_path: Path, text: str) -> str:
    path = tmp_path / "p.yaml"
    path.write_text(text)
    with pytest.raises(AgentError) as err:
        load_policy(path)
    message = str(err.value)
    assert message.startswith(f"{path}:") and "\n" not in message
    return message.removeprefix(f"{path}:")


def test_shipped_default_loads_and_matches_sandbox_limits(tmp_path: Path) -> None:
    loaded = load_policy(SHIPPED_DEFAULT)
    assert loaded.policy.sandbox.network == "none"
    assert isinstance(loaded.policy.sandbox.limits(), Limits)
    assert set(ALWAYS_PROTECTED) <= set(loaded.policy.protected())
    assert len(loaded.sha256) == 64
    assert default_policy_path(tmp_path) == SHIPPED_DEFAULT
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "default.yaml").write_text("version: 1\n")
    assert default_policy_path(tmp_path) == tmp_path / "policies" / "default.yaml"


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    assert load_text(tmp_path, "version: 1\nsigners:\n  - name: [a\n").startswith("4: YAML syntax")


def test_wrong_type_names_the_line_of_the_field(tmp_path: Path) -> None:
    text = "version: 1\nsandbox:\n  cpus: 2\n  memory_mb: lots\n"
    assert load_text(tmp_path, text).startswith("4: sandbox.memory_mb:")


def test_unknown_field_is_an_error_not_ignored(tmp_path: Path) -> None:
    text = "version: 1\nmax_diff_lines: 10\nprotected_path:\n  - x\n"
    assert load_text(tmp_path, text).startswith("3: protected_path: Extra inputs")


def test_network_other_than_none_refused(tmp_path: Path) -> None:
    assert load_text(tmp_path, "sandbox:\n  network: host\n").startswith("2: sandbox.network")


def test_bad_signer_key_names_its_line(tmp_path: Path) -> None:
    text = f"signers:\n  - name: a@b\n    key: {KEY}\n    paths: ['**']\n" \
           "  - name: c@d\n    key: ssh-rsa AAAAB3Nza\n    paths: ['**']\n"
    assert load_text(tmp_path, text).startswith("6: signers.1.key:")


def test_duplicate_key_is_an_error(tmp_path: Path) -> None:
    message = load_text(tmp_path, "max_diff_lines: 10\nversion: 1\nmax_diff_lines: 99999\n")
    assert message.startswith("3: key 'max_diff_lines' appears twice")


def test_duplicate_signer_refused(tmp_path: Path) -> None:
    entry = f"  - name: a@b\n    key: {KEY}\n    paths: ['**']\n"
    assert "only once" in load_text(tmp_path, "signers:\n" + entry + entry)


def test_multi_signature_needs_at_least_two(tmp_path: Path) -> None:
    text = "multi_signature:\n  - paths: ['x']\n    signatures: 1\n"
    assert load_text(tmp_path, text).startswith("3: multi_signature.0.signatures")


def test_not_a_mapping(tmp_path: Path) -> None:
    assert load_text(tmp_path, "- a\n- b\n").startswith("1: a policy must be a YAML mapping")


def test_missing_file_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(AgentError, match="cannot read policy"):
        load_policy(tmp_path / "nope.yaml")
