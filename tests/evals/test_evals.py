"""The eval suite: bundled tasks load, checks tell a solved task from an unsolved one, repeats
sample with their own seed and temperature, results go to the history and can be compared, and
the command refuses bad input with one line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from agent.cli import main
from agent.config import Settings
from agent.errors import AgentError
from agent.evals import defines, load_tasks
from agent.evals.history import append, find, history_path
from agent.evals.scores import SuiteScore, TaskRun, TaskScore
from agent.evals.suite import evaluate, judge
from agent.llm.base import Message
from agent.prompts import prompts_hash
from agent.sandbox.base import Limits
from agent.sandbox.local import LocalRunner


def test_bundled_tasks_load_and_an_unknown_one_is_refused() -> None:
    tasks = {t.name: t for t in load_tasks()}
    assert {"negative-quantity", "rename-function"} <= set(tasks)
    assert all(t.goal and t.checks and (t.repo / "tests").is_dir() for t in tasks.values())
    with pytest.raises(AgentError, match="no eval task 'nope': use one of"):
        load_tasks(["nope"])


def test_defines_finds_definitions_not_calls() -> None:
    assert defines("def area(w, h):\n", "area") and not defines("x = area(2, 3)\n", "area")
    assert defines("long gcd(long a, long b) {\n", "gcd") and not defines("long gcd(long a, long b);\n", "gcd")
    assert defines("pub extern \"C\" fn gcd(a: i64) -> i64 {", "gcd") and not defines("def rect_area():", "area")


def test_checks_tell_a_solved_task_from_an_unsolved_one(tmp_path: Path) -> None:
    [task] = load_tasks(["negative-quantity"])
    tree = tmp_path / "tree"
    shutil.copytree(task.repo, tree)
    runner, limits = LocalRunner(), Limits(timeout_s=60)
    assert judge(task, tree, runner, limits).startswith("command failed")
    stock = tree / "stock.py"
    add = "    stock[name] = stock.get(name, 0) + quantity\n"
    stock.write_text(stock.read_text().replace(add, "    if quantity < 0:\n        raise ValueError(name)\n" + add))
    assert judge(task, tree, runner, limits) == ""
    (tree / "tests" / "test_stock.py").write_text("def test_nothing() -> None:\n    pass\n")
    assert judge(task, tree, runner, limits) == "tests/test_stock.py was changed"


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as ex:
        main(argv)
    return int(ex.value.code or 0), capsys.readouterr().err


def test_eval_command_refuses_bad_input_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run_cli(["eval", "--prompts", str(tmp_path / "nowhere")], capsys)
    assert code == 1 and "is not a folder" in err and err.count("\n") == 1
    code, err = run_cli(["eval", "--task", "nope"], capsys)
    assert code == 1 and "no eval task 'nope'" in err


def test_eval_command_refuses_an_unknown_part_and_an_empty_selection(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run_cli(["eval", "--part", "secret"], capsys)
    assert code == 1 and "--part secret is not a part of the suite: use one of tuning, heldout" in err
    code, err = run_cli(["eval", "--quick", "--task", "rename-function"], capsys)
    assert code == 1 and "no eval task matches --task, --part and --quick together" in err


PLAN = json.dumps({"stages": [{"title": "Refuse negatives", "intent": "raise ValueError", "files": ["stock.py"]}]})
ADD = "    stock[name] = stock.get(name, 0) + quantity\n"
GOOD = json.dumps({"edits": [{"file": "stock.py", "search": ADD,
                              "replace": "    if quantity < 0:\n        raise ValueError(name)\n" + ADD}]})
BAD = json.dumps({"edits": [{"file": "stock.py", "search": "no such line\n", "replace": "x\n"}]})


class SamplingRecorder:
    """Solves the task in every repeat but the second, keeping the sampling each call asked for."""

    name = "recorder"
    context_length = 32768

    def __init__(self) -> None:
        self.sampling: list[tuple[float, int]] = []

    def complete(self, messages: list[Message], *, schema: dict[str, Any] | None = None, max_tokens: int = 1024,
                 temperature: float = 0.0, seed: int = 0, grammar: str | None = None) -> str:
        self.sampling.append((temperature, seed))
        if "stages" in (schema or {}).get("properties", {}):
            return PLAN
        return BAD if seed == 8 else GOOD

    def count_tokens(self, text: str) -> int:
        return len(text) // 4


def test_repeats_sample_with_their_own_seed_and_temperature() -> None:
    model = SamplingRecorder()
    # one candidate (the repeat's own sampling only), written as the search/replace edits replayed here
    settings = Settings(sandbox="none", seed=7, candidates=1, edit_format="search-replace")
    result = evaluate(load_tasks(["negative-quantity"]), model, settings, LocalRunner(), repeat=3)
    [task] = result.tasks
    assert [(r.seed, r.temperature) for r in task.runs] == [(7, 0.0), (8, 0.3), (9, 0.6)]
    assert sorted(set(model.sampling)) == [(0.0, 7), (0.3, 8), (0.6, 9)]  # what reached the model
    assert [r.solved for r in task.runs] == [True, False, True] and task.runs[1].why
    assert [r.calls for r in task.runs] == [2, 4, 2]  # plan + edit; plan + three unusable edits
    assert result.repeat_rates() == [1.0, 0.0, 1.0] and result.prompts == prompts_hash()


def scored(prompts: str, solved: dict[str, bool]) -> SuiteScore:
    tasks = [TaskScore(name, "heldout", [TaskRun(ok, "" if ok else "failed", 3.0, 2, 0, 0.0)])
             for name, ok in solved.items()]
    return SuiteScore("m", prompts, tasks, 1)


def test_results_go_to_the_history_and_compare_says_whether_b_beats_a(capsys: pytest.CaptureFixture[str]) -> None:
    names = [f"t{i}" for i in range(6)]
    a = append(scored("aaaa11112222", dict.fromkeys(names, False)))
    b = append(scored("bbbb33334444", dict.fromkeys(names, True)))
    c = append(scored("cccc55556666", {n: i < 2 for i, n in enumerate(names)}))
    assert len(history_path().read_text().splitlines()) == 3
    assert find(b.id).prompts == "bbbb33334444" and find("cccc").id == c.id
    out = cli_out(["eval", "--compare", a.id, "bbbb"], capsys)  # B by its prompts hash
    assert "all      B 1.00 vs 0.00 on 6 task(s): 6 better, 0 worse, 0 tied; sign test p=0.016 (beyond the noise" in out
    assert out.splitlines()[-1] == "B beats A beyond the noise on the tasks both scored"
    data = json.loads(cli_out(["eval", "--compare", a.id, c.id, "--json"], capsys))
    assert data["all"]["wins"] == 2 and data["all"]["p"] == 0.25 and not data["all"]["b_beats_a"]
    code, err = run_cli(["eval", "--compare", a.id, "nothing"], capsys)
    assert code == 1 and "no eval result 'nothing'" in err and err.count("\n") == 1


def cli_out(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as ex:
        main(argv)
    out = capsys.readouterr()
    assert not ex.value.code, out.err
    return out.out


def test_eval_command_prints_per_task_figures_and_appends_to_the_history(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENT_EDIT_FORMAT", "search-replace")  # the replies below are search/replace edits
    replies = tmp_path / "replies.json"
    replies.write_text(json.dumps([PLAN, GOOD, PLAN, BAD, BAD, BAD]))
    code, err = run_cli(["eval", "--task", "negative-quantity", "--model", f"scripted:{replies}",
                         "--sandbox", "none", "--repeat", "2"], capsys)
    assert code == 0, err
    [record] = [json.loads(line) for line in history_path().read_text().splitlines()]
    assert record["tasks"]["negative-quantity"]["solved"] == 1 and record["repeat_rates"] == [1.0, 0.0]
    first, second = record["tasks"]["negative-quantity"]["runs"]
    assert first["calls"] == 2 and second["calls"] >= 4 and second["why"]  # plan + edit; plan + unusable edits
    assert record["calls"] == first["calls"] + second["calls"] and record["prompts"] == prompts_hash()
