"""The real 0.5B, grammar-constrained, answers 8 plan and 8 edit requests (every verb twice,
every module, a seed each) with replies that all parse with the product's own parsers and
validate against the product's schemas (twenty of each took 10 minutes of the suite on 2 cores).
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from agent.edits.search_replace import EDIT_SCHEMA, parse_edits
from agent.graph.planning import parse_plan, plan_schema
from agent.llm.jsoncheck import schema_errors
from agent.llm.llama import LlamaModel

MODULES = ["inventory", "billing", "users", "reports", "search"]
VERBS = ["rename load_cfg to load_config", "add type hints to parse_row",
         "extract the retry loop into a helper", "replace print calls with logging"]


def bounded(schema: dict[str, Any], max_items: int, max_len: int) -> dict[str, Any]:
    """The schema with every array and string capped, so replies fit a small max_tokens."""
    out = copy.deepcopy(schema)

    def walk(node: dict[str, Any]) -> None:
        if node.get("type") == "array":
            node["maxItems"] = min(node.get("maxItems", max_items), max_items)
            walk(node.get("items", {}))
        elif node.get("type") == "string":
            node["maxLength"] = min(node.get("maxLength", max_len), max_len)
        for sub in node.get("properties", {}).values():
            walk(sub)

    walk(out)
    return out


def _source(module: str, i: int) -> str:
    return (f"def load_cfg(path):\n    print('loading', path)\n    return open(path).read()\n\n"
            f"def parse_row(row):\n    return row.split(',')[{i % 3}]\n")


@pytest.mark.model
def test_constrained_plan_and_edit_replies_all_parse(small_model: LlamaModel) -> None:
    plan = bounded(plan_schema(2), max_items=2, max_len=48)
    edit = bounded(EDIT_SCHEMA, max_items=2, max_len=72)
    system = {"role": "system", "content": "You refactor Python repositories. Reply in JSON."}
    failures: list[str] = []
    for i in range(8):
        module, verb = MODULES[i % 5], VERBS[i % 4]
        goal = f"In {module}/core.py, {verb}. (request {i})"
        reply = small_model.complete(
            [system, {"role": "user", "content": f"Plan this change in 1 or 2 stages: {goal}"}],
            schema=plan, max_tokens=256, seed=i)
        if schema_errors(json.loads(reply), plan_schema(2)) or not parse_plan(reply, 2, goal):
            failures.append(f"plan {i}: {reply}")
        reply = small_model.complete(
            [system, {"role": "user", "content": f"File {module}/core.py:\n{_source(module, i)}\n"
                      f"Give search/replace edits to {verb}."}],
            schema=edit, max_tokens=256, seed=i)
        if schema_errors(json.loads(reply), EDIT_SCHEMA) or not parse_edits(reply):
            failures.append(f"edit {i}: {reply}")
    assert failures == []
