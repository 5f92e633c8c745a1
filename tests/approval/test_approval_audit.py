"""The audit log catches edits, deletions, reorders and insertions, by line; it holds no secrets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.approval import audit

EVENTS = ["run_started", "plan", "stage_proposed", "verified", "approved", "applied", "run_ended"]


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "audit.jsonl"
    for i, event in enumerate(EVENTS):
        audit.append_event(path, "run-1", event, {"stage": 1, "i": i})
    return path


def lines(log: Path) -> list[str]:
    return log.read_text().splitlines()


def write(log: Path, rows: list[str]) -> None:
    log.write_text("".join(r + "\n" for r in rows))


def rehash(row: str, **change: object) -> str:
    """An entry edited by someone who also recomputed its hash."""
    entry = json.loads(row)
    entry.update(change)
    entry["hash"] = audit.entry_hash(entry)
    return json.dumps(entry, sort_keys=True, separators=(",", ":"))


def problem(log: Path) -> str:
    report = audit.verify_log(log)
    assert not report.ok
    assert report.problem is not None
    return report.problem


def test_intact_log_verifies_and_chains(log: Path) -> None:
    report = audit.verify_log(log)
    assert report.ok and [e["event"] for e in report.entries] == EVENTS
    entries = report.entries
    assert entries[0]["prev"] == audit.GENESIS
    assert all(b["prev"] == a["hash"] for a, b in zip(entries, entries[1:], strict=False))


def test_edited_entry(log: Path) -> None:
    rows = lines(log)
    rows[2] = rows[2].replace('"i":2', '"i":99')
    write(log, rows)
    assert problem(log) == "line 3: entry edited (its hash does not match it)"


def test_edited_and_rehashed_entry(log: Path) -> None:
    rows = lines(log)
    rows[2] = rehash(rows[2], data={"stage": 2})
    write(log, rows)
    assert problem(log) == "line 3: entry edited (line 4 no longer links to it)"


def test_last_entry_edited_and_rehashed(log: Path) -> None:
    rows = lines(log)
    rows[-1] = rehash(rows[-1], event="rolled_back")
    write(log, rows)
    assert problem(log) == "line 7: entry edited (does not match the recorded head)"


def test_deleted_entry(log: Path) -> None:
    rows = lines(log)
    del rows[3]
    write(log, rows)
    assert problem(log) == "line 4: entry #4 deleted before this line"


def test_deleted_from_the_end(log: Path) -> None:
    write(log, lines(log)[:-2])
    assert problem(log) == "line 6: entries #6-#7 deleted from the end"


def test_reordered_entries(log: Path) -> None:
    rows = lines(log)
    rows[1], rows[2] = rows[2], rows[1]
    write(log, rows)
    assert problem(log) == "line 2: entries reordered (holds entry #3)"


def test_inserted_entry_with_forged_link(log: Path) -> None:
    rows = lines(log)
    before = json.loads(rows[2])
    forged = {"seq": 4, "time": before["time"], "run_id": "run-1", "event": "approved",
              "data": {"stage": 1, "signer": "mallory"}, "prev": before["hash"]}
    forged["hash"] = audit.entry_hash(forged)
    rows.insert(3, json.dumps(forged, sort_keys=True, separators=(",", ":")))
    write(log, rows)
    assert problem(log) == "line 4: inserted entry (line 5 links past it)"


def test_inserted_entry_without_link(log: Path) -> None:
    rows = lines(log)
    rows.insert(1, rehash(rows[0], event="approved", prev="f" * 64))
    write(log, rows)
    assert problem(log) == "line 2: inserted entry (the next line links past it)"


def test_appended_entry_not_by_the_writer(log: Path) -> None:
    rows = lines(log)
    last = json.loads(rows[-1])
    rows.append(rehash(rows[-1], seq=8, prev=last["hash"], event="applied"))
    write(log, rows)
    assert problem(log) == "line 8: entries after #7 were appended without the log's writer"


def test_garbled_line(log: Path) -> None:
    rows = lines(log)
    rows[4] = rows[4][:20]
    write(log, rows)
    assert problem(log) == "line 5: not valid JSON (garbled, cut or blank)"


def test_missing_head_is_reported(log: Path) -> None:
    audit.head_path(log).unlink()
    assert "cannot tell if entries were cut off" in problem(log)


def test_unknown_event_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown audit event"):
        audit.append_event(tmp_path / "a.jsonl", "r", "approvd", {})


def test_log_never_holds_secrets(tmp_path: Path) -> None:
    key_block = (
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA\n"
        "-----END OPENSSH PRIVATE KEY-----"
    )
    path = tmp_path / "audit.jsonl"
    audit.append_event(path, "r", "verified", {
        "output_tail": f"leaked {key_block}\nGITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123\n",
        "env": {"OPENAI_API_KEY": "sk-live-1234", "HOME": "/root"},
        "note": "password: hunter2 and AWS key AKIAABCDEFGHIJKLMNOP",
        "prompt_tokens": 42,
    })
    text = path.read_text()
    for secret in ("b3BlbnNzaC1rZXktdjEAAAA", "ghp_abcdef", "sk-live-1234", "hunter2", "AKIAABCD"):
        assert secret not in text
    data = audit.verify_log(path).entries[0]["data"]
    assert data["env"] == {"OPENAI_API_KEY": "[redacted]", "HOME": "/root"}
    assert data["prompt_tokens"] == 42 and "[redacted private key]" in data["output_tail"]


def test_entry_moved_to_the_end(log: Path) -> None:
    rows = lines(log)
    rows.append(rows.pop(1))
    write(log, rows)
    assert problem(log) == "line 2: entries reordered (holds entry #3)"


def test_sequence_number_edited_and_rehashed(log: Path) -> None:
    rows = lines(log)
    rows[2] = rehash(rows[2], seq=9)
    write(log, rows)
    assert problem(log) == "line 3: sequence number edited (says #9)"
