"""The run's audit log: JSON lines, each carrying the hash of the one before.

Appends are locked and fsynced. ``audit.head`` records the last entry's number and hash
(and the entry itself) so that cutting entries off the end is caught too. ``verify_log`` names
the first edited, deleted, reordered or inserted entry by line number. Both files can be
rewritten together by whoever can write the run folder, so every approval also signs the log's
head (``signed_head``) and ``anchor_problem`` checks the log against those signed heads.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agent.approval.redact import redact
from agent.errors import AgentError

GENESIS = "0" * 64
EVENTS = frozenset({
    "run_started", "plan", "stage_proposed", "verified", "approved", "rejected",
    "edited", "applied", "rolled_back", "stage_failed", "run_ended",
})
_FIELDS = {"seq", "time", "run_id", "event", "data", "prev", "hash"}


def _canonical(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(entry: dict[str, Any]) -> str:
    """SHA-256 over the entry without its own hash, in canonical JSON."""
    return hashlib.sha256(_canonical({k: v for k, v in entry.items() if k != "hash"})).hexdigest()


def head_path(log: Path) -> Path:
    return log.with_name(log.stem + ".head")


def _read_head(log: Path) -> dict[str, Any] | None:
    try:
        head = json.loads(head_path(log).read_text())
    except (OSError, ValueError):
        return None
    return head if isinstance(head, dict) else None


def _read_log(log: Path) -> tuple[bytes, bytes, str | None]:
    """The log's complete lines, a cut-off last line, and the entry the head holds beyond them."""
    text = log.read_bytes()
    whole, cut = text[: text.rfind(b"\n") + 1], text[text.rfind(b"\n") + 1:]
    head = _read_head(log) or {}
    pending = head.get("entry")
    if isinstance(pending, str) and head.get("seq") == whole.count(b"\n") + 1 and pending.encode().startswith(cut):
        return whole, cut, pending
    return whole, cut, None


def committed_lines(log: Path) -> list[str]:
    """The log's lines as its writer committed them; the head is the commit point.

    An append first writes the head, which holds the new entry, then appends the entry to the
    log. A kill in between leaves that entry only in the head, or cut off at the end of the
    log: it is the committed entry all the same, not tampering. Anything else is returned as
    it is, for ``verify_log`` to judge.
    """
    whole, cut, pending = _read_log(log)
    lines = whole.decode("utf-8").splitlines()
    if pending is not None:
        return [*lines, pending]
    return [*lines, cut.decode("utf-8", "replace")] if cut else lines


def _write_head(log: Path, entry: dict[str, Any], line: str) -> None:
    """Commit an entry: the head names it and holds it whole (replaced atomically)."""
    head = head_path(log)
    tmp = head.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as th:
        th.write(json.dumps({"seq": entry["seq"], "hash": entry["hash"], "entry": line}) + "\n")
        th.flush()
        os.fsync(th.fileno())
    os.replace(tmp, head)


def _write_entry(fd: int, data: bytes) -> None:
    """Append the committed entry in one write, then make it durable."""
    os.write(fd, data)
    os.fsync(fd)


def _settle(fd: int, log: Path) -> dict[str, Any] | None:
    """Finish an append a kill cut off; returns the last committed entry to chain onto."""
    whole, cut, pending = _read_log(log)
    if pending is not None:
        os.ftruncate(fd, len(whole))
        _write_entry(fd, (pending + "\n").encode())
        return dict(json.loads(pending))
    if cut:  # a cut-off line the head does not hold: end it and keep it, for verify_log to name
        _write_entry(fd, b"\n")
    lines = whole.decode("utf-8").splitlines()
    return dict(json.loads(lines[-1])) if lines else None


def append_event(
    log: Path, run_id: str, event: str, data: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Append one event (payload redacted of secrets) and fsync; returns the entry written.

    Safe against a kill at any instant: the head is written (atomically, holding the entry)
    before the entry is appended, and the next append first completes an entry so cut off.
    """
    if event not in EVENTS:
        raise ValueError(f"unknown audit event {event!r}; one of {sorted(EVENTS)}")
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        last = _settle(fh.fileno(), log)
        entry: dict[str, Any] = {
            "seq": (last["seq"] + 1) if last else 1,
            "time": datetime.now(UTC).isoformat(timespec="seconds"),
            "run_id": run_id,
            "event": event,
            "data": redact(data or {}),
            "prev": last["hash"] if last else GENESIS,
        }
        entry["hash"] = entry_hash(entry)
        line = _canonical(entry).decode()
        _write_head(log, entry, line)
        _write_entry(fh.fileno(), (line + "\n").encode())
    return entry


@dataclass(frozen=True)
class AuditReport:
    """Outcome of checking a log: entries read and the first problem, if any."""

    entries: list[dict[str, Any]]
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def _chain_break(ln: int, entries: list[dict[str, Any]], hashes: list[str]) -> str:
    """Explain why the entry on line ``ln`` is out of place in the chain."""
    entry, expected_prev = entries[ln - 1], hashes[ln - 2] if ln > 1 else GENESIS
    seq = entry["seq"]
    seqs = [e["seq"] for e in entries]
    if seq != ln and sorted(seqs, key=str) == sorted(range(1, len(entries) + 1), key=str):
        return f"line {ln}: entries reordered (holds entry #{seq})"
    if ln < len(entries) and entries[ln]["prev"] == expected_prev:
        return f"line {ln}: inserted entry (the next line links past it)"
    if ln > 1 and entry["prev"] == (hashes[ln - 3] if ln > 2 else GENESIS):
        return f"line {ln - 1}: inserted entry (line {ln} links past it)"
    if entry["prev"] == expected_prev:
        return f"line {ln}: sequence number edited (says #{seq})"
    if isinstance(seq, int) and seq > ln:
        gone = f"#{ln}" if seq == ln + 1 else f"#{ln}-#{seq - 1}"
        return f"line {ln}: entry {gone} deleted before this line"
    if seq != ln:
        return f"line {ln}: entry #{seq} repeated or inserted out of place"
    return f"line {ln - 1}: entry edited (line {ln} no longer links to it)"


def verify_log(log: Path) -> AuditReport:
    """Check the hash chain, sequence numbers and head record; stop at the first problem."""
    try:
        lines = committed_lines(log)  # an append cut off by a kill is not tampering
    except FileNotFoundError:
        return AuditReport([], f"no audit log at {log}")
    entries: list[dict[str, Any]] = []
    for ln, raw in enumerate(lines, 1):
        try:
            entry = json.loads(raw)
        except ValueError:
            return AuditReport(entries, f"line {ln}: not valid JSON (garbled, cut or blank)")
        if not isinstance(entry, dict) or set(entry) != _FIELDS:
            return AuditReport(entries, f"line {ln}: not an audit entry (fields edited)")
        if entry_hash(entry) != entry["hash"]:
            return AuditReport(entries, f"line {ln}: entry edited (its hash does not match it)")
        entries.append(entry)
    hashes = [e["hash"] for e in entries]
    for ln, entry in enumerate(entries, 1):
        if entry["prev"] != (hashes[ln - 2] if ln > 1 else GENESIS) or entry["seq"] != ln:
            return AuditReport(entries, _chain_break(ln, entries, hashes))
    return AuditReport(entries, _check_head(log, entries))


def _check_head(log: Path, entries: list[dict[str, Any]]) -> str | None:
    try:
        head = json.loads(head_path(log).read_text())
        seq, last_hash = int(head["seq"]), str(head["hash"])
    except (OSError, ValueError, KeyError, TypeError):
        return f"{head_path(log).name} is missing or garbled; cannot tell if entries were cut off"
    if seq > len(entries):
        return f"line {len(entries) + 1}: entries #{len(entries) + 1}-#{seq} deleted from the end"
    if seq < len(entries):
        return f"line {seq + 1}: entries after #{seq} were appended without the log's writer"
    if entries and entries[-1]["hash"] != last_hash:
        return f"line {len(entries)}: entry edited (does not match the recorded head)"
    return None


def signed_head(log: Path) -> dict[str, Any] | None:
    """``{seq, hash}`` of the log's last entry, which an approval signs; None without a log.

    A log that does not verify is refused: an approval must not vouch for a broken chain.
    """
    if not log.exists():
        return None
    report = verify_log(log)
    if not report.ok:
        raise AgentError(f"audit log {log}: {report.problem}; an approval cannot be anchored in it")
    if not report.entries:
        return None
    last = report.entries[-1]
    return {"seq": last["seq"], "hash": last["hash"]}


def anchor_problem(entries: list[dict[str, Any]], anchors: list[tuple[str, Any]]) -> str | None:
    """Each ``(who, {seq, hash})`` an approval signed must still be in the log, unchanged.

    Entries up to a signed head can then be neither cut off nor rewritten (even with every
    hash recomputed) without breaking a signature; entries after the newest one can.
    """
    for who, head in sorted(anchors, key=lambda a: -_seq(a[1])):
        seq = _seq(head)
        if seq < 1 or seq > len(entries):
            return f"entry #{seq}, signed as the log's head by {who}, is gone (entries cut off the end)"
        if entries[seq - 1]["hash"] != head.get("hash"):
            return f"entries up to #{seq} were rewritten: {who} signed a different log head"
    return None


def _seq(head: Any) -> int:
    seq = head.get("seq") if isinstance(head, dict) else None
    return seq if isinstance(seq, int) and not isinstance(seq, bool) else 0
