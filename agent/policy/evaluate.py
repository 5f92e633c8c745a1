"""Apply a policy to one stage: who must sign, whether CI may approve alone, what is wrong.

Pure function of its inputs so the graph, ``agent verify`` and tests all get the same answer.
A protected path always needs a person; no other rule can override that.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agent.policy.globs import matches, normalize
from agent.policy.model import Policy, Signer


@dataclass(frozen=True)
class Decision:
    """The policy's verdict on a stage; ``findings`` are one line each, for people.

    ``ci_findings`` (also in ``findings``) say why CI may not approve alone: news in bot mode,
    noise at a person's review screen, where a person approves anyway.
    """

    findings: list[str] = field(default_factory=list)
    ci_findings: list[str] = field(default_factory=list)
    needs_person: bool = True
    auto_approvable_by_ci: bool = False
    enough_signatures: bool = False
    too_large: bool = False
    required: dict[str, int] = field(default_factory=dict)  # path -> person signatures needed

    @property
    def approved(self) -> bool:
        """Enough trusted signatures and within the size limit: the stage may be applied."""
        return self.enough_signatures and not self.too_large


def _required(policy: Policy, path: str) -> int:
    return max([1] + [r.signatures for r in policy.multi_signature if matches(path, r.paths)])


def _ci_alone(
    policy: Policy, paths: list[str], diff_lines: int, checks_green: bool, protected: list[str]
) -> tuple[bool, str | None]:
    """Whether CI may approve alone, and if not (but CI is configured) why not."""
    rule = policy.ci_may_approve
    if rule is None:
        return False, None
    if protected:
        return False, "CI may not approve: the stage touches a protected path"
    if not checks_green:
        return False, "CI may not approve: not every check is green"
    outside = [p for p in paths if not matches(p, rule.paths)]
    if outside:
        return False, f"CI may not approve: {outside[0]} is outside its paths"
    if diff_lines > rule.max_diff_lines:
        return False, f"CI may not approve: {diff_lines} diff lines > {rule.max_diff_lines}"
    if any(_required(policy, p) > 1 for p in paths):
        return False, "CI may not approve: a path needs several people's signatures"
    return bool(paths), None


def evaluate_stage(
    policy: Policy,
    changed_paths: list[str],
    diff_lines: int,
    checks_green: bool,
    approvals: list[str],
) -> Decision:
    """Verdict for a stage; ``approvals`` are names of signers whose signatures verified."""
    findings: list[str] = []
    paths: list[str] = []
    outside_repo = False
    for raw in changed_paths:
        clean = normalize(raw)
        if clean is None:
            findings.append(f"{raw} is outside the repository: needs a person")
            outside_repo = True
        else:
            paths.append(clean)
    protected = [p for p in paths if matches(p, policy.protected())]
    findings += [f"{p} is protected: needs a person" for p in protected]
    too_large = diff_lines > policy.max_diff_lines
    if too_large:
        findings.append(f"diff has {diff_lines} lines; policy allows {policy.max_diff_lines}")
    ci_ok, ci_why = _ci_alone(policy, paths, diff_lines, checks_green, protected)
    ci_ok = ci_ok and not too_large and not outside_repo
    ci_findings = [ci_why] if ci_why else []
    findings += ci_findings

    persons: list[Signer] = []
    ci_signers: list[Signer] = []
    for name in dict.fromkeys(approvals):
        signer = policy.signer_named(name)
        if signer is None:
            findings.append(f"{name} is not a signer in the policy; approval ignored")
        elif signer.role == "ci" and not ci_ok:
            findings.append(f"{name} is a CI signer and this stage needs a person")
        else:
            (ci_signers if signer.role == "ci" else persons).append(signer)

    required = {p: _required(policy, p) for p in paths}
    enough_for_paths = True
    for path, need in required.items():
        have = sum(1 for s in persons if matches(path, s.paths))
        if have < need:
            enough_for_paths = False
            if persons or need > 1:
                findings.append(f"{path} needs {need} trusted signature(s), has {have}")
    ci_enough = ci_ok and any(all(matches(p, s.paths) for p in paths) for s in ci_signers)
    enough = not outside_repo and bool(persons or ci_enough) and (enough_for_paths or ci_enough)
    return Decision(
        findings=findings,
        ci_findings=ci_findings,
        needs_person=not ci_ok,
        auto_approvable_by_ci=ci_ok,
        enough_signatures=enough,
        too_large=too_large,
        required=required,
    )
