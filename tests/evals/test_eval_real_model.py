"""``agent eval`` on one small task with the real 0.5B model: the run gets as far as asking for
edits, its figures are measured (seconds, model calls, the prompts' hash), a failed run says
which stage failed and why, and the result is kept in the history."""

from __future__ import annotations

import json

import pytest

from agent.cli import main
from agent.evals.history import history_path
from agent.prompts import prompts_hash

pytestmark = pytest.mark.model


def test_eval_one_task_with_the_small_model(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as ex:
        main([
            "eval", "--task", "fix-fahrenheit", "--model", "qwen2.5-coder-0.5b", "--ctx", "4096",
            "--sandbox", "none", "--json",
        ])
    out = capsys.readouterr()
    assert not ex.value.code, out.err
    data = json.loads(out.out.strip().splitlines()[-1])
    assert "0.5b" in data["model"] and data["prompts"] == prompts_hash() and data["max"] == 1
    [run] = data["tasks"]["fix-fahrenheit"]["runs"]
    assert run["calls"] >= 2  # a plan (grammar-constrained, so it parses), then at least one edit request
    assert run["seconds"] > 0 and (run["seed"], run["temperature"]) == (0, 0.0)
    if not run["solved"]:  # the 0.5B often fails this; then the reason names the stage or the check
        assert run["why"].startswith(("no stage was applied: stage 1 ", "tests failed", "hidden tests failed"))
    [kept] = [json.loads(line) for line in history_path().read_text().splitlines()]
    assert kept["id"] == data["id"] and kept["tasks"] == data["tasks"]
