"""Each policy rule, and that nothing lets the agent past a protected path without a person."""

from __future__ import annotations

import pytest

from agent.policy.evaluate import evaluate_stage
from agent.policy.globs import matches, normalize
from agent.policy.model import Policy

KEYS = [
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAKL6iSpa7pAe9XyxtSpV46SmbB+sHpdUjH2Q/nTkdr4",
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHMWbzfcWJm35mBv12OHbw26ZVl5uPI+9U6zzhfuj8Ze",
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICUHOaH7ZQe7r+Xn0nHVlp1EMYepXbmdLS7wBRsBbLiY",
]


@pytest.fixture
def policy() -> Policy:
    return Policy.model_validate({
        "signers": [
            {"name": "alice", "key": KEYS[0], "paths": ["**"]},
            {"name": "bob", "key": KEYS[1], "paths": ["src/**", "policies/**"]},
            {"name": "ci-bot", "key": KEYS[2], "paths": ["**"], "role": "ci"},
        ],
        "multi_signature": [{"paths": ["src/core/**"], "signatures": 2}],
        "protected_paths": ["secrets/**"],
        "ci_may_approve": {"paths": ["tests/**", "docs/**"], "max_diff_lines": 50},
        "max_diff_lines": 400,
    })


def test_globs_star_stays_in_directory_double_star_crosses() -> None:
    assert matches("docs/a.md", ["docs/*.md"]) and not matches("docs/x/a.md", ["docs/*.md"])
    assert matches("docs/x/a.md", ["docs/**"]) and matches("a/b/c.md", ["**/*.md"])
    assert matches("c.md", ["**/*.md"]) and not matches("docsx/a", ["docs/**"])
    assert matches("Policies/default.yaml", ["policies/**"])  # case cannot dodge a gate
    assert normalize("./src/../src/a.py") == "src/a.py" and normalize("../etc/passwd") is None


def test_one_trusted_signature_is_enough(policy: Policy) -> None:
    d = evaluate_stage(policy, ["src/app.py"], 10, True, ["bob"])
    assert d.enough_signatures and d.approved and d.needs_person and not d.auto_approvable_by_ci


def test_no_signature_is_not_enough(policy: Policy) -> None:
    assert not evaluate_stage(policy, ["src/app.py"], 10, True, []).enough_signatures


def test_signer_only_trusted_for_their_paths(policy: Policy) -> None:
    d = evaluate_stage(policy, ["src/app.py", "README.md"], 10, True, ["bob"])
    assert not d.enough_signatures
    assert "README.md needs 1 trusted signature(s), has 0" in d.findings


def test_unknown_signer_does_not_count(policy: Policy) -> None:
    d = evaluate_stage(policy, ["src/app.py"], 10, True, ["eve"])
    assert not d.enough_signatures
    assert "eve is not a signer in the policy; approval ignored" in d.findings


def test_multi_signature_paths(policy: Policy) -> None:
    one = evaluate_stage(policy, ["src/core/db.py"], 10, True, ["bob"])
    assert not one.enough_signatures and one.required == {"src/core/db.py": 2}
    assert evaluate_stage(policy, ["src/core/db.py"], 10, True, ["bob", "alice"]).enough_signatures
    twice = evaluate_stage(policy, ["src/core/db.py"], 10, True, ["bob", "bob"])
    assert not twice.enough_signatures


def test_ci_may_approve_small_tests_only_stage_when_green(policy: Policy) -> None:
    d = evaluate_stage(policy, ["tests/test_a.py", "docs/x.md"], 20, True, ["ci-bot"])
    assert d.auto_approvable_by_ci and not d.needs_person and d.enough_signatures


@pytest.mark.parametrize(
    ("paths", "lines", "green", "why"),
    [
        (["tests/a.py"], 20, False, "not every check is green"),
        (["tests/a.py"], 51, True, "51 diff lines > 50"),
        (["tests/a.py", "src/a.py"], 5, True, "src/a.py is outside its paths"),
        (["tests/a.py", "policies/default.yaml"], 5, True, "touches a protected path"),
    ],
)
def test_ci_may_not_approve(
    policy: Policy, paths: list[str], lines: int, green: bool, why: str
) -> None:
    d = evaluate_stage(policy, paths, lines, green, ["ci-bot"])
    assert not d.auto_approvable_by_ci and d.needs_person and not d.enough_signatures
    assert any(why in f for f in d.findings)
    assert [f for f in d.ci_findings if why in f] and set(d.ci_findings) <= set(d.findings)
    assert "ci-bot is a CI signer and this stage needs a person" in d.findings


@pytest.mark.parametrize(
    "path",
    ["policies/default.yaml", "agent/approval/review.py", "agent/policy/evaluate.py",
     ".ci/run.sh", ".github/workflows/ci.yml", ".gitlab-ci.yml", "secrets/token.txt"],
)
def test_protected_paths_always_need_a_person(policy: Policy, path: str) -> None:
    d = evaluate_stage(policy, [path], 1, True, ["ci-bot"])
    assert d.needs_person and not d.auto_approvable_by_ci and not d.enough_signatures
    assert f"{path} is protected: needs a person" in d.findings


def test_policy_cannot_unprotect_agent_gates() -> None:
    loose = Policy.model_validate({
        "signers": [{"name": "ci", "key": KEYS[2], "paths": ["**"], "role": "ci"}],
        "protected_paths": [],
        "ci_may_approve": {"paths": ["**"], "max_diff_lines": 10_000},
    })
    d = evaluate_stage(loose, ["policies/default.yaml"], 1, True, ["ci"])
    assert d.needs_person and not d.enough_signatures


def test_stage_larger_than_limit_is_never_approved(policy: Policy) -> None:
    d = evaluate_stage(policy, ["src/app.py"], 401, True, ["alice", "bob"])
    assert d.too_large and d.enough_signatures and not d.approved
    assert "diff has 401 lines; policy allows 400" in d.findings


def test_path_outside_repository_needs_a_person(policy: Policy) -> None:
    d = evaluate_stage(policy, ["../outside.py"], 1, True, ["alice"])
    assert not d.enough_signatures
    assert "../outside.py is outside the repository: needs a person" in d.findings
