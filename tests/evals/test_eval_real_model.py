"""``agent eval`` on one task with the real 0.5B model: a score with the model named, and a
reason for every failed run."""

from __future__ import annotations

import json

import pytest

from agent.cli import main

pytestmark = pytest.mark.model


def test_eval_one_task_with_the_small_model(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as ex:
        main([
            "eval", "--task", "negative-quantity", "--model", "qwen2.5-coder-0.5b", "--ctx", "4096",
            "--sandbox", "none", "--json",
        ])
    out = capsys.readouterr()
    assert not ex.value.code, out.err
    data = json.loads(out.out.strip().splitlines()[-1])
    assert "0.5b" in data["model"] and data["max"] == 1
    task = data["tasks"]["negative-quantity"]
    assert task["score"] in (0.0, 1.0) and data["total"] == task["score"]
    assert len(task["why"]) == (1 if task["score"] == 0.0 else 0)
    assert all(why.strip() for why in task["why"])
