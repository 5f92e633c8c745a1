"""The whole graph on a real git repository, with recorded model replies and real tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agent.errors import AgentError, ModelReplyError
from agent.graph.asking import ask, fit_context, system_message
from agent.llm.base import Message
from agent.llm.scripted import ScriptedModel
from agent.rundir import RunFiles
from agent.runs.driver import Paused
from agent.runs.session import resume, start
from agent.sandbox.local import LocalRunner
from tests.conftest import APPROVE, git, reviewing_terminal

PLAN = json.dumps(
    {
        "stages": [
            {
                "title": "Validate quantity",
                "intent": "add_item raises ValueError for a negative quantity.",
                "files": ["inventory/stock.py"],
            }
        ]
    }
)
SEARCH = '        """Add quantity units of name at a unit price (the latest price wins)."""\n'
GOOD_EDIT = json.dumps(
    {
        "edits": [
            {
                "file": "inventory/stock.py",
                "search": SEARCH,
                "replace": SEARCH + '        if quantity < 0:\n            raise ValueError("negative quantity")\n',
            }
        ]
    }
)
BREAKING_EDIT = json.dumps(
    {
        "edits": [
            {
                "file": "inventory/stock.py",
                "search": "            total += quantity * price\n",
                "replace": "            total += quantity\n",
            }
        ]
    }
)


def run(repo: Path, replies: list[str], decisions: list[dict[str, Any]], **kw: Any) -> tuple[RunFiles, dict[str, Any]]:
    return start(
        repo,
        kw.pop("goal", "validate quantities"),
        reviewing_terminal(decisions, kw.pop("seen", None)),
        {"sandbox": "none", "model": "scripted", **kw.pop("settings", {})},
        model=ScriptedModel(replies),
        runner=LocalRunner(),
        **kw,
    )


def test_approved_stage_is_committed_on_the_run_branch(py_repo: Path) -> None:
    seen: list[dict[str, Any]] = []
    files, state = run(py_repo, [PLAN, GOOD_EDIT], [APPROVE], seen=seen)
    assert seen[0]["verify"]["ok"] and seen[0]["verify"]["passed"] == 3
    assert "+        if quantity < 0:" in seen[0]["patch"]
    assert not any("CI may" in f for f in seen[0]["findings"])  # a person approves here, not CI
    [outcome] = state["outcomes"]
    assert outcome["status"] == "applied"
    branch = f"agent/{files.run_id}"
    assert 'raise ValueError("negative quantity")' in git(py_repo, "show", f"{branch}:inventory/stock.py")
    assert git(py_repo, "rev-parse", f"refs/agent/{files.run_id}/stage-1") == git(py_repo, "rev-parse", branch)
    # the user's own branch and working tree are untouched, and run files stay out of git status
    assert "negative" not in (py_repo / "inventory/stock.py").read_text()
    assert git(py_repo, "rev-parse", "main") == state["base_commit"]
    assert git(py_repo, "status", "--porcelain") == ""
    assert "applied" in (files.dir / "report.md").read_text()


def test_replies_get_the_room_the_settings_keep_for_them(py_repo: Path) -> None:
    model = ScriptedModel([PLAN, GOOD_EDIT])
    start(py_repo, "validate quantities", reviewing_terminal([APPROVE]),
          {"sandbox": "none", "model": "scripted", "reply_tokens": 3000}, model=model, runner=LocalRunner())
    assert model.reply_limits == [3000, 3000]  # the plan and the edit


def test_record_keeps_every_reply_for_a_replay(py_repo: Path, tmp_path: Path) -> None:
    replies, record = tmp_path / "replies.json", tmp_path / "record.json"
    replies.write_text(json.dumps([PLAN, "not json", GOOD_EDIT]))
    start(py_repo, "validate", reviewing_terminal([APPROVE]), {"sandbox": "none", "model": f"scripted:{replies}"},
          runner=LocalRunner(), record=record)
    assert json.loads(record.read_text()) == [PLAN, "not json", GOOD_EDIT]


def test_a_reply_cut_off_at_its_limit_is_asked_again_shorter(py_repo: Path) -> None:
    runaway = '{"edits": [{"file": "inventory/stock.py", "search": "' + "x = 1\\n" * 400
    model = ScriptedModel([PLAN, runaway, GOOD_EDIT])
    start(py_repo, "validate", reviewing_terminal([APPROVE]),
          {"sandbox": "none", "model": "scripted", "reply_tokens": 600}, model=model, runner=LocalRunner())
    retry = model.calls[2][-1]["content"]
    assert "cut off after 600 tokens" in retry and "shorter" in retry
    assert len(model.calls[2][-2]["content"]) < 1000  # the runaway reply is shown only in part


def test_rejected_stage_leaves_the_branch_at_base(py_repo: Path) -> None:
    files, state = run(py_repo, [PLAN, GOOD_EDIT], [{"decision": "reject", "approver": "tester", "reason": ""}])
    assert [o["status"] for o in state["outcomes"]] == ["rejected"]
    assert git(py_repo, "rev-parse", f"agent/{files.run_id}") == state["base_commit"]


def test_rejection_reason_goes_back_to_the_model_and_the_same_patch_is_never_shown_again(py_repo: Path) -> None:
    clearer = GOOD_EDIT.replace("negative quantity", "quantity must not be negative")
    model = ScriptedModel([PLAN, GOOD_EDIT, GOOD_EDIT, clearer])
    reject = {"decision": "reject", "approver": "tester", "reason": "use a clearer message"}
    seen: list[dict[str, Any]] = []
    files, state = start(
        py_repo, "validate", reviewing_terminal([reject, APPROVE], seen), {"sandbox": "none"}, model=model,
        runner=LocalRunner(),
    )
    retry = model.calls[2][-1]["content"]
    assert "use a clearer message" in retry
    # the model sees its own rejected patch, and that the files shown do not contain it
    assert "not kept: the files above are as they were before it" in retry and '+            raise ValueError' in retry
    # it answered with the very same patch: that one is not shown again, the next one is
    assert "identical to a patch the reviewer rejected" in model.calls[3][-1]["content"]
    assert len(seen) == 2 and seen[0]["patch"] != seen[1]["patch"] and "must not be negative" in seen[1]["patch"]
    assert [o["status"] for o in state["outcomes"]] == ["applied"]


def test_malformed_reply_is_sent_back_with_the_error(py_repo: Path) -> None:
    model = ScriptedModel([PLAN, "this is not json", GOOD_EDIT])
    files, state = start(py_repo, "validate", reviewing_terminal([APPROVE]), {"sandbox": "none"}, model=model,
                         runner=LocalRunner())
    assert "not valid JSON" in model.calls[2][-1]["content"]
    assert state["outcomes"][0]["status"] == "applied"


def test_an_edit_breaking_python_syntax_is_sent_back_before_any_test_runs(py_repo: Path) -> None:
    unindented = json.dumps({"edits": [{"file": "inventory/stock.py", "search": SEARCH,
                                        "replace": SEARCH + "        if quantity < 0\n"}]})
    model = ScriptedModel([PLAN, unindented, GOOD_EDIT])
    files, state = start(py_repo, "validate", reviewing_terminal([APPROVE]), {"sandbox": "none"}, model=model,
                         runner=LocalRunner())
    assert "invalid Python" in model.calls[2][-1]["content"]
    assert state["outcomes"][0]["status"] == "applied"


def test_unmatched_search_fails_the_stage_without_touching_files(py_repo: Path) -> None:
    bad = json.dumps({"edits": [{"file": "inventory/stock.py", "search": "no such line\n", "replace": "x\n"}]})
    files, state = run(py_repo, [PLAN, bad, bad, bad], [], settings={"candidates": 1})
    [outcome] = state["outcomes"]
    assert outcome["status"] == "failed" and "not found in inventory/stock.py" in outcome["reason"]
    assert git(py_repo, "rev-parse", f"agent/{files.run_id}") == state["base_commit"]


def test_a_stage_breaking_a_passing_test_never_reaches_the_reviewer(py_repo: Path) -> None:
    seen: list[dict[str, Any]] = []
    files, state = run(py_repo, [PLAN, BREAKING_EDIT], [], seen=seen, settings={"candidates": 1})
    assert seen == []
    [outcome] = state["outcomes"]
    assert outcome["status"] == "failed" and "broke 1 test(s) that passed before it" in outcome["reason"]
    assert git(py_repo, "rev-parse", f"agent/{files.run_id}") == state["base_commit"]


def test_failed_check_after_apply_rolls_back(py_repo: Path, tmp_path: Path) -> None:
    # the tests pass at the baseline and on the candidate, then fail after apply (as a flaky
    # suite or a changed machine would): the branch returns to the last good checkpoint
    count = tmp_path / "runs"
    flaky = ["sh", "-c", f'n=$(cat {count} 2>/dev/null || echo 0); echo $((n+1)) > {count}; [ "$n" -lt 2 ]']
    files, state = run(py_repo, [PLAN, GOOD_EDIT], [APPROVE], settings={"test_command": flaky})
    [outcome] = state["outcomes"]
    assert outcome["status"] == "rolled_back" and "passed before" in outcome["reason"]
    assert git(py_repo, "rev-parse", f"agent/{files.run_id}") == state["base_commit"]
    assert git(py_repo, "for-each-ref", f"refs/agent/{files.run_id}/") == ""


def test_quit_at_the_gate_pauses_and_resume_finishes(py_repo: Path) -> None:
    with pytest.raises(Paused):
        run(py_repo, [PLAN, GOOD_EDIT], [{"decision": "quit"}])
    [run_dir] = (py_repo / ".agent" / "runs").iterdir()
    files = RunFiles(py_repo, run_dir.name)
    assert json.loads(files.pending_path.read_text())["stage"]["title"] == "Validate quantity"
    state = resume(files, reviewing_terminal([APPROVE]), model=ScriptedModel([]), runner=LocalRunner())
    assert [o["status"] for o in state["outcomes"]] == ["applied"]
    assert not files.pending_path.exists()


def test_bad_input_is_refused_before_anything_changes(tmp_path: Path, py_repo: Path) -> None:
    with pytest.raises(AgentError, match="does not exist"):
        run(tmp_path / "missing", [], [])
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(AgentError, match="not a git repository"):
        run(plain, [], [])
    with pytest.raises(AgentError, match="goal is empty"):
        start(py_repo, "  ", reviewing_terminal([]), {"sandbox": "none"}, model=ScriptedModel([]), runner=LocalRunner())
    (py_repo / "inventory/stock.py").write_text("# my unsaved work\n")
    with pytest.raises(AgentError, match="uncommitted changes"):
        run(py_repo, [], [])
    assert (py_repo / "inventory/stock.py").read_text() == "# my unsaved work\n"
    assert not (py_repo / ".agent" / "runs").exists()


def test_rollback_command_undoes_the_newest_stage(py_repo: Path) -> None:
    from agent.runs.rollback import rollback_run

    two = json.dumps({"stages": [
        {"title": "Validate quantity", "intent": "raise on negative quantity", "files": ["inventory/stock.py"]},
        {"title": "Document", "intent": "add a NOTES file", "files": ["NOTES.md"]},
    ]})
    notes = json.dumps({"edits": [{"file": "NOTES.md", "search": "", "replace": "Quantities are validated.\n"}]})
    files, state = run(py_repo, [two, GOOD_EDIT, notes], [APPROVE, APPROVE],
                       goal="validate quantities and document them")
    assert [o["status"] for o in state["outcomes"]] == ["applied", "applied"]
    undone = rollback_run(files, None)
    assert undone[0].startswith("stage 2")
    branch = f"agent/{files.run_id}"
    assert git(py_repo, "rev-parse", branch) == state["outcomes"][0]["commit"]
    assert git(py_repo, "for-each-ref", "--format=%(refname)", f"refs/agent/{files.run_id}/") == (
        f"refs/agent/{files.run_id}/stage-1")
    with pytest.raises(AgentError, match="--to-stage must be between 0 and 0"):
        rollback_run(files, 3)
    rollback_run(files, 0)
    assert git(py_repo, "rev-parse", branch) == state["base_commit"]


@pytest.mark.parametrize("kind", ["unknown", "missing", "corrupt"])
def test_bad_model_is_refused_before_the_run_starts(py_repo: Path, tmp_path: Path, kind: str) -> None:
    corrupt = tmp_path / "broken.gguf"
    corrupt.write_bytes(b"GGUF" + b"\x03\x00\x00\x00" + b"\xff" * 40)
    spec = {"unknown": "no-such-model", "missing": str(tmp_path / "absent.gguf"), "corrupt": str(corrupt)}[kind]
    with pytest.raises(AgentError) as err:
        start(py_repo, "validate", reviewing_terminal(), {"sandbox": "none", "model": spec}, runner=LocalRunner())
    assert "\n" not in str(err.value) and len(str(err.value)) < 300
    assert not (py_repo / ".agent" / "runs").exists()


def test_a_prompt_too_long_for_the_context_is_fitted_by_leaving_files_out(py_repo: Path) -> None:
    """A long goal (an exercise's whole instructions) leaves less room than the pack was made for:
    the packed repository sheds its least relevant blocks so every prompt still fits."""
    background = "Stock keeping in a small shop counts goods on the shelves, item by item. " * 65
    model = ScriptedModel([PLAN, GOOD_EDIT], context_length=2048)
    files, state = start(py_repo, "validate quantities.\n\n" + background, reviewing_terminal([APPROVE]),
                         {"sandbox": "none", "model": "scripted", "ctx": 2048, "reply_tokens": 256},
                         model=model, runner=LocalRunner())
    assert [o["status"] for o in state["outcomes"]] == ["applied"]
    packed = files.dir.joinpath("context.txt").read_text()
    for call in model.calls:  # each prompt left the reply its room
        assert sum(model.count_tokens(m["content"]) for m in call) + 256 <= 2048
    edit = model.calls[-1]
    uncut = model.count_tokens(system_message(packed)["content"]) + model.count_tokens(edit[1]["content"])
    assert uncut >= 2048  # the whole pack would not have fit next to the edit task
    kept, note = edit[0]["content"].rsplit("=== ", 1)
    assert note.endswith("left out to fit the prompt ===\n")  # the least relevant blocks went
    assert system_message(packed)["content"].startswith(kept)


def test_fit_context_cuts_whole_blocks_from_the_end() -> None:
    names = "=== other files (not shown) ===\n" + "c.py\n" * 30
    context = "=== a.py ===\n" + "a\n" * 40 + "=== b.py ===\n" + "b\n" * 40 + names
    count = ScriptedModel([]).count_tokens
    assert fit_context(context, count(context), count) == context
    cut = fit_context(context, count(context) - 5, count)
    assert cut.startswith("=== a.py ===\n") and "=== b.py ===\n" + "b\n" * 40 in cut and "c.py" not in cut
    assert cut.endswith("=== 1 more file block(s) left out to fit the prompt ===\n")
    assert count(cut) <= count(context) - 5
    assert fit_context(context, 3, count) == ""


def test_a_re_ask_after_a_reply_that_filled_the_room_shows_its_start_and_keeps_the_room_for_the_next() -> None:
    """A reply of all the tokens kept for it that does not parse, and a long reason (cargo's
    errors): shown back whole, the reply left the next one less room, and with a prompt at its
    limit made the re-ask longer than the context (the stage failed in propose). Its start is
    shown, as much as leaves the next reply the room the settings keep."""
    def parse(reply: str) -> str:
        if reply != "good":
            raise ModelReplyError("error[E0425]: cannot find function `gcd_rs` in this scope\n" * 14)
        return reply

    filled = ("x = 1  # a long reply the parser refuses\n" * 100)[:4096]  # 1,024 tokens, four characters each
    model = ScriptedModel([filled, "good"], context_length=2048)
    messages: list[Message] = [{"role": "system", "content": "s" * 2760}, {"role": "user", "content": "task " * 8}]
    assert model.count_tokens(filled) == 1024 and sum(model.count_tokens(m["content"]) for m in messages) == 700
    assert ask(model, messages, None, 2, parse, max_tokens=1024) == ("good", 2)
    shown, note = model.calls[1][-2:]
    assert sum(model.count_tokens(m["content"]) for m in model.calls[1]) + 1024 <= 2048
    assert filled.startswith(shown["content"].removesuffix(" ...")) and len(shown["content"]) > 100
    assert note["content"].startswith("That reply could not be used: error[E0425]")


def test_a_re_ask_the_context_cannot_hold_at_all_fails_the_reply_instead_of_the_stage() -> None:
    """The parser's reason alone (cargo's errors, up to 2,500 characters) may leave no room: the
    reply counts as unusable, which a stage handles (its next candidate, or its fallback)."""
    def parse(reply: str) -> str:
        raise ModelReplyError("error[E0425]: cannot find function\n" * 120)

    model = ScriptedModel(["fn main() {}", "never asked"], context_length=2048)
    messages: list[Message] = [{"role": "system", "content": "s" * 3900}, {"role": "user", "content": "task"}]
    with pytest.raises(ModelReplyError, match="after 1 replies; the context has no room to ask again"):
        ask(model, messages, None, 3, parse, max_tokens=1024)
    assert len(model.calls) == 1
