"""Run or resume a two-stage run in this process and SIGKILL it at a chosen moment.

usage: fault_driver.py start REPO [--kill-at-node K | --kill-after S]
       fault_driver.py resume REPO RUN_ID
Every stage is approved (signed by the local key). The model answers by request, not by order,
so a resumed process gets the same replies for the same questions as an uninterrupted one.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sys
import threading
from contextlib import nullcontext
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from agent.graph import nodes  # noqa: E402
from agent.llm.base import Message  # noqa: E402
from agent.llm.scripted import ScriptedModel  # noqa: E402
from agent.runs.files import RunFiles  # noqa: E402
from agent.runs.session import Terminal, resume, start  # noqa: E402
from agent.sandbox.local import LocalRunner  # noqa: E402
from tests.graph.test_run_scripted import GOOD_EDIT  # noqa: E402

PLAN = json.dumps({"stages": [
    {"title": "Validate quantity", "intent": "raise on negative quantity", "files": ["inventory/stock.py"]},
    {"title": "Document", "intent": "add a NOTES file", "files": ["NOTES.md"]},
]})
NOTES = json.dumps({"edits": [{"file": "NOTES.md", "search": "", "replace": "Quantities are validated.\n"}]})
NODE_NAMES = ("snapshot", "plan", "propose", "verify", "gate", "apply", "check", "rollback", "advance", "report")


class ByRequest(ScriptedModel):
    def complete(self, messages: list[Message], **kwargs: Any) -> str:
        task = messages[-1]["content"]
        return PLAN if "# Task: plan" in task else (GOOD_EDIT if "Stage 1 of" in task else NOTES)


def kill_at_node_entry(k: int) -> None:
    """SIGKILL on entering the k-th node call: the previous node's checkpoint is on disk."""
    calls = [0]
    for name in NODE_NAMES:
        original = getattr(nodes, name)

        def wrapped(state: Any, svc: Any, _original: Any = original) -> Any:
            calls[0] += 1
            if calls[0] == k:
                os.kill(os.getpid(), signal.SIGKILL)
            return _original(state, svc)

        setattr(nodes, name, wrapped)


def terminal() -> Terminal:
    def approve(payload: dict[str, Any]) -> dict[str, Any]:
        return {"decision": "approve", "approver": "tester", "reason": ""}

    return Terminal(show=lambda line: print(line, flush=True), busy=lambda what: nullcontext(), reviewer=approve)


def main() -> None:
    command, repo = sys.argv[1], Path(sys.argv[2])
    if command == "resume":
        resume(RunFiles(repo, sys.argv[3]), terminal(), model=ByRequest([]), runner=LocalRunner())
        return
    if sys.argv[3:4] == ["--kill-at-node"]:
        kill_at_node_entry(int(sys.argv[4]))
    elif sys.argv[3:4] == ["--kill-after"]:
        delay = float(sys.argv[4])
        threading.Timer(delay, lambda: os.kill(os.getpid(), signal.SIGKILL)).start()
    start(repo, "validate and document", terminal(), {"sandbox": "none", "model": "scripted", "max_stages": 2},
          model=ByRequest([]), runner=LocalRunner())
    print("FINISHED", flush=True)
    os._exit(0)  # a pending kill timer must not outlive the run


if __name__ == "__main__":
    random.seed(0)
    main()
