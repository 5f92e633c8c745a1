"""What ``agent ci propose`` leaves for the CI system: the patches, ``report.md`` (a pull-request
comment), ``report.json``, ``junit.xml`` (one testcase per stage) and ``policy.sarif`` (SARIF
2.1.0, one result per policy finding, located at the file it is about)."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from agent.approval import hunks
from agent.approval.approve import stage_parent
from agent.approval.verify import verify_stage
from agent.ci.layout import record_path
from agent.errors import AgentError
from agent.policy.load import LoadedPolicy


@dataclass
class StageInfo:
    """One planned stage as CI reports it."""

    stage: int
    title: str
    outcome: str  # applied | rejected | failed | rolled_back
    reason: str
    checks_ok: bool
    checks: str  # summary line of the last check
    output_tail: str = ""
    paths: list[str] = field(default_factory=list)
    signers: list[str] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    needs_person: bool = True
    people: int = 1  # person signatures the stage needs (multi_signature)
    patch: str = ""  # artifact file name, when the stage has a patch


def collect(run_dir: Path, state: dict[str, Any], meta: dict[str, Any], policy: LoadedPolicy) -> list[StageInfo]:
    """Every planned stage with its outcome, checks, signatures and the policy's findings."""
    outcomes = {o["stage"]: o for o in state.get("outcomes", [])}
    infos = []
    for stage in state.get("stages", []):
        n = stage["id"]
        sdir = run_dir / "stages" / f"{n:02d}"
        out = outcomes.get(n, {"status": "failed", "reason": "the run ended before this stage", "tests": ""})
        checks: dict[str, Any] = {}
        if (sdir / "verify.json").is_file():
            checks = json.loads((sdir / "verify.json").read_text())
        ok = bool(checks.get("ok")) and out["status"] != "rolled_back"
        info = StageInfo(
            stage=n, title=stage["title"], outcome=out["status"], reason=out.get("reason", ""),
            checks_ok=ok, checks=out.get("tests") or checks.get("summary") or out.get("reason", ""),
            output_tail=str(checks.get("output_tail", ""))[-4000:],
        )
        patch = sdir / "patch.diff"
        if patch.is_file():
            info.patch = f"stage-{n:02d}.diff"
            try:
                info.paths = hunks.changed_paths(patch.read_text())
            except AgentError:
                info.paths = []
            parent = stage_parent(run_dir, meta["run_id"], n)
            verdict = verify_stage(run_dir, n, meta, policy.policy, policy.sha256, parent=parent)
            info.signers = verdict.signers
            if verdict.decision is not None:
                info.findings = verdict.decision.findings
                info.needs_person = not (verdict.decision.approved and verdict.ok)
                info.people = max(verdict.decision.required.values(), default=1)
        infos.append(info)
    return infos


def junit_xml(run_id: str, infos: list[StageInfo]) -> str:
    """One testcase per stage; a failure when its checks failed or it could not be proposed."""
    bad = [i for i in infos if not i.checks_ok]
    suite = ET.Element("testsuite", name=f"agent ci propose {run_id}", tests=str(len(infos)),
                       failures=str(len(bad)), errors="0", skipped="0")
    for info in infos:
        case = ET.SubElement(suite, "testcase", classname=f"agent.{run_id}", name=f"stage {info.stage}: {info.title}")
        if not info.checks_ok:
            fail = ET.SubElement(case, "failure", message=info.checks or info.reason or "checks failed",
                                 type=info.outcome)
            fail.text = info.output_tail or info.reason
        else:
            ET.SubElement(case, "system-out").text = info.checks
    ET.indent(suite)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"


def _location(finding: str, info: StageInfo) -> str:
    """The changed file a finding names; else the stage's first file, else its patch."""
    named = [p for p in info.paths if p in finding]
    return max(named, key=len) if named else (info.paths[0] if info.paths else info.patch or "")


def sarif(run_id: str, infos: list[StageInfo], policy_path: str) -> dict[str, Any]:
    """SARIF 2.1.0: one result per policy finding of a proposed stage."""
    results = []
    for info in infos:
        for finding in info.findings:
            results.append({
                "ruleId": "agent-policy",
                "level": "warning" if info.needs_person else "note",
                "message": {"text": f"stage {info.stage} ({info.title}): {finding}"},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": _location(finding, info)}}}],
                "properties": {"run": run_id, "stage": info.stage},
            })
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "agent", "informationUri": "https://example.invalid/agent",
                "rules": [{"id": "agent-policy", "shortDescription": {"text": f"approval policy ({policy_path})"}}],
            }},
            "results": results,
        }],
    }


def approve_lines(run_id: str, remote: str, base: str, infos: list[StageInfo]) -> list[str]:
    """The exact commands that sign each stage still needing a person and push the signatures."""
    todo = [i for i in infos if i.outcome == "applied" and i.needs_person]
    if not todo:
        return []
    sign = [f"agent ci approve {run_id} --stage {i.stage}" + (
        f"    # {i.people} people: each runs this with their own --key" if i.people > 1 else "") for i in todo]
    return [
        f"git fetch {remote} agent/{run_id} && git checkout -B agent/{run_id} FETCH_HEAD",
        f"git log -p --reverse {base[:12]}..agent/{run_id} -- . ':(exclude){record_path(run_id)}'",
        *sign,
        f"git add {record_path(run_id)} && git commit -m 'approve run {run_id}' && git push {remote} agent/{run_id}",
    ]


def report_md(meta: dict[str, Any], infos: list[StageInfo], remote: str, pushed: bool) -> str:
    run_id = meta["run_id"]
    lines = [
        f"## agent proposal `{run_id}`", "", f"**Goal:** {meta['goal'].splitlines()[0]}", "",
        f"Branch `agent/{run_id}`" + (f" pushed to `{remote}`" if pushed else " (not pushed: no stage passed)")
        + f", base `{meta['base_commit'][:10]}`, target `{meta.get('target', '?')}`.", "",
        "| stage | title | outcome | checks | signed by | policy |", "|---|---|---|---|---|---|",
    ]
    for i in infos:
        policy = "CI may approve alone" if not i.needs_person else f"{len(i.findings)} finding(s)"
        lines.append(f"| {i.stage} | {i.title} | {i.outcome.replace('_', ' ')} | {i.checks or '-'} "
                     f"| {', '.join(i.signers) or '-'} | {policy} |")
    findings = [f"- stage {i.stage}: {f}" for i in infos for f in i.findings]
    if findings:
        lines += ["", "### Policy findings", "", *findings]
    todo = approve_lines(run_id, remote, meta["base_commit"], infos)
    lines += ["", "### How to approve", ""]
    if todo:
        lines += ["In a clone of the repository, review the stage commits, then sign and push:", "",
                  "```sh", *todo, "```", "",
                  f"CI then runs `agent ci apply {run_id}`, which checks every signature and the tests "
                  f"before it fast-forwards `{meta.get('target', 'the target branch')}`."]
    else:
        lines.append("Nothing needs a person's signature." if pushed else "Nothing to approve.")
    return "\n".join(lines) + "\n"


def write_all(dest: Path, run_dir: Path, meta: dict[str, Any], infos: list[StageInfo], policy: LoadedPolicy,
              remote: str, pushed: bool) -> None:
    """Write every artifact into ``dest`` (made if missing)."""
    dest.mkdir(parents=True, exist_ok=True)
    for info in infos:
        if info.patch:
            shutil.copyfile(run_dir / "stages" / f"{info.stage:02d}" / "patch.diff", dest / info.patch)
    (dest / "report.md").write_text(report_md(meta, infos, remote, pushed))
    data = {"run_id": meta["run_id"], "goal": meta["goal"], "base_commit": meta["base_commit"],
            "target": meta.get("target"), "branch": f"agent/{meta['run_id']}", "pushed": pushed,
            "remote": remote, "stages": [asdict(i) for i in infos],
            "approve": approve_lines(meta["run_id"], remote, meta["base_commit"], infos)}
    (dest / "report.json").write_text(json.dumps(data, indent=2) + "\n")
    (dest / "junit.xml").write_text(junit_xml(meta["run_id"], infos))
    findings = sarif(meta["run_id"], infos, str(meta.get("policy_path", policy.path)))
    (dest / "policy.sarif").write_text(json.dumps(findings, indent=2) + "\n")
