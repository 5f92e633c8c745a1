"""Load and validate a policy file; a broken one stops the run naming file, line and problem.

The policy's SHA-256 is taken over the exact bytes loaded at run start and goes into every
approval statement, so a stage that edits the policy file cannot change the rules in force.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from agent.errors import AgentError
from agent.policy.model import Policy

SHIPPED_DEFAULT = Path(__file__).resolve().parents[2] / "policies" / "default.yaml"


@dataclass(frozen=True)
class LoadedPolicy:
    """A validated policy with the file it came from and the hash of its bytes."""

    policy: Policy
    path: Path
    sha256: str


def default_policy_path(repo: Path) -> Path:
    """The repository's ``policies/default.yaml``, else the one agent ships."""
    own = repo / "policies" / "default.yaml"
    return own if own.exists() else SHIPPED_DEFAULT


def _line_of(node: yaml.Node, loc: tuple[int | str, ...]) -> int:
    """1-based line a pydantic error location points at (a mapping entry's key line)."""
    line = node.start_mark.line
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            pair = next(((k, v) for k, v in node.value if k.value == part), None)
            if pair is None:
                break
            line, node = pair[0].start_mark.line, pair[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                break
            node = node.value[part]
            line = node.start_mark.line
        else:
            break
    return line + 1


def _check_duplicates(node: yaml.Node, where: str) -> None:
    """A repeated key would silently win in YAML; in a policy it must be an error."""
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if key.value in seen:
                raise AgentError(
                    f"{where}:{key.start_mark.line + 1}: key '{key.value}' appears twice; keep one"
                )
            seen.add(key.value)
            _check_duplicates(value, where)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _check_duplicates(item, where)


def parse_policy(text: str, where: str) -> Policy:
    """Validate policy text; errors read ``FILE:LINE: problem``."""
    try:
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as ex:
        line = ex.problem_mark.line + 1 if ex.problem_mark else 1
        raise AgentError(f"{where}:{line}: YAML syntax error: {ex.problem}; fix the file") from ex
    if node is None or not isinstance(data, dict):
        raise AgentError(f"{where}:1: a policy must be a YAML mapping; see policies/default.yaml")
    _check_duplicates(node, where)
    try:
        return Policy.model_validate(data)
    except ValidationError as ex:
        err = ex.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "policy"
        line = _line_of(node, tuple(err["loc"]))
        more = f" (and {ex.error_count() - 1} more)" if ex.error_count() > 1 else ""
        raise AgentError(f"{where}:{line}: {field}: {err['msg']}{more}; fix the policy") from ex


def load_policy(path: Path) -> LoadedPolicy:
    """Read, hash and validate a policy file."""
    try:
        raw = path.read_bytes()
    except OSError as ex:
        raise AgentError(f"cannot read policy {path}: {ex.strerror}; check --policy") from ex
    policy = parse_policy(raw.decode("utf-8", errors="replace"), str(path))
    return LoadedPolicy(policy=policy, path=path, sha256=hashlib.sha256(raw).hexdigest())
