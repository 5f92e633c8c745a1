"""The CI artifacts' shapes for stages a real run rarely gives cheaply: a failed check, a
finding naming one of several files, a stage needing several people."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from agent.ci.artifacts import StageInfo, approve_lines, junit_xml, sarif

FAILED = StageInfo(stage=1, title="Break it", outcome="rolled_back", reason="tests failed after apply",
                   checks_ok=False, checks="1 failed, 0 errors", output_tail="E assert 1 == 2",
                   paths=["src/a.py", "src/ab.py"], findings=["src/ab.py is protected: needs a person"],
                   patch="stage-01.diff")
PASSED = StageInfo(stage=2, title="Fix it", outcome="applied", reason="", checks_ok=True, checks="3 passed",
                   paths=["src/a.py"], findings=["src/a.py needs 2 trusted signature(s), has 0"], people=2,
                   patch="stage-02.diff")
CI_SIGNED = StageInfo(stage=3, title="Docs", outcome="applied", reason="", checks_ok=True, checks="3 passed",
                      paths=["README.md"], signers=["ci-bot"], needs_person=False, patch="stage-03.diff")


def test_junit_has_one_case_per_stage_and_fails_the_failed_one() -> None:
    suite = ET.fromstring(junit_xml("R", [FAILED, PASSED, CI_SIGNED]))
    cases = list(suite.iter("testcase"))
    assert [c.get("name") for c in cases] == ["stage 1: Break it", "stage 2: Fix it", "stage 3: Docs"]
    assert suite.get("failures") == "1"
    failure = cases[0].find("failure")
    assert failure is not None and failure.get("message") == "1 failed, 0 errors"
    assert failure.text == "E assert 1 == 2" and cases[1].find("failure") is None


def test_sarif_result_per_finding_located_at_the_file_it_names() -> None:
    doc = sarif("R", [FAILED, PASSED, CI_SIGNED], "policies/default.yaml")
    assert doc["version"] == "2.1.0"
    results = doc["runs"][0]["results"]
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results]
    assert uris == ["src/ab.py", "src/a.py"]  # the longest path named, not its prefix src/a.py
    assert {r["ruleId"] for r in results} <= {rule["id"] for rule in doc["runs"][0]["tool"]["driver"]["rules"]}


def test_approve_lines_only_for_applied_stages_needing_people() -> None:
    lines = approve_lines("R", "origin", "f" * 40, [FAILED, PASSED, CI_SIGNED])
    signs = [line for line in lines if line.startswith("agent ci approve")]
    assert signs == ["agent ci approve R --stage 2    # 2 people: each runs this with their own --key"]
    assert lines[-1].startswith("git add .agent-approvals/R ") and lines[-1].endswith("git push origin agent/R")
