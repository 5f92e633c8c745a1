"""The two tools the solve-rate benchmark compares, each run unattended under the same cap.

agent runs as CI bot mode does (``agent ci propose`` in a clone with a bare remote: the
documented unattended path); its result is the tip of branch ``agent/RUN``. Aider runs with the
settings of its own Exercism benchmark (whole-file edits, no repository map, no git, a second
try with the first 50 lines of the test output) against ``llama_cpp.server`` on loopback with
the same GGUF, context and thread count.
"""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess
import sys
import tarfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.solve_tasks import Task, Verdict, judge, read_tree, write_tree

CTX = 8192  # agent's default context; the server gets the same
GRACE_SECONDS = 15  # after the cap: Ctrl-C first, so agent pauses cleanly and removes its container
# (Aider is killed at once: its result is the files it wrote, and Ctrl-C only asks it for another)
TEST_LINES = 50  # Aider's benchmark feeds back this many lines of test output
RECORD_DIR = ".agent-approvals/"  # CI mode's signature record on the run branch, not code
TEST_COMMAND = "python3 -m pytest -q"  # a task folder has no marker agent detects pytest by


@dataclass
class Settings:
    """What both tools share (model, threads, cap) and where each one's program is."""

    agent_cmd: list[str]
    aider: Path
    gguf: Path
    threads: int
    task_seconds: float
    home: Path  # AGENT_HOME for every agent process: runs, sandbox work dirs, caches of this run

    def agent_env(self) -> dict[str, str]:
        return {**os.environ, "AGENT_THREADS": str(self.threads), "AGENT_HOME": str(self.home)}


@dataclass
class Outcome:
    """One tool on one task: what the judge said and the wall-clock it took."""

    solved: bool
    seconds: float
    timed_out: bool = False
    exit_code: int | None = None
    tries: int = 1
    notes: list[str] = field(default_factory=list)
    load: float = field(default_factory=lambda: os.getloadavg()[0])  # other work on the cores slows both tools

    def as_dict(self) -> dict[str, object]:
        return {"solved": self.solved, "seconds": round(self.seconds, 1), "timed_out": self.timed_out,
                "exit_code": self.exit_code, "tries": self.tries, "notes": self.notes,
                "load_average": round(self.load, 1)}


@dataclass
class Finished:
    exit_code: int | None  # None: stopped at the cap
    output: str

    @property
    def timed_out(self) -> bool:
        return self.exit_code is None


def run_capped(command: list[str], cwd: Path, env: dict[str, str], seconds: float, log: Path,
               grace: float = GRACE_SECONDS) -> Finished:
    """Run ``command`` in its own process group for at most ``seconds``; then Ctrl-C, and after
    ``grace`` seconds kill (at once when ``grace`` is 0).

    The whole group is stopped so nothing a tool started keeps a core busy during the next task.
    """
    with log.open("ab") as out:
        out.write(f"$ {' '.join(command)}\n".encode())
        out.flush()
        proc = subprocess.Popen(command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            code: int | None = proc.wait(timeout=max(seconds, 0.1))
        except subprocess.TimeoutExpired:
            code = None
            stop_group(proc, grace)
        except BaseException:
            stop_group(proc, grace)
            raise
    text = log.read_text(errors="replace")
    return Finished(code, text[text.rfind("$ "):])


def stop_group(proc: subprocess.Popen[Any], grace: float) -> None:
    """Ctrl-C the group and give its leader ``grace`` seconds to finish cleanly, then kill
    whatever is left of the group (children that ignore Ctrl-C included)."""
    if grace > 0:
        _signal_group(proc, signal.SIGINT)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
    _signal_group(proc, signal.SIGKILL)
    proc.wait()


def _signal_group(proc: subprocess.Popen[Any], sig: signal.Signals) -> None:
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:  # the whole group is gone already
        pass


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


def tail(text: str, lines: int = 3) -> list[str]:
    """The last non-empty lines of a tool's output: what it said when it stopped."""
    return [line.strip() for line in text.splitlines() if line.strip()][-lines:]


# --- agent -------------------------------------------------------------------------------------


def task_repo(task: Task, where: Path) -> Path:
    """A git repository holding the task (one commit on main) with a bare ``origin`` to push to."""
    repo = write_tree(task.files(), where / "repo")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=bench", "-c", "user.email=bench@localhost", "commit", "-q", "-m", "task")
    git(where, "clone", "-q", "--bare", str(repo), "origin.git")
    git(repo, "remote", "add", "origin", str(where / "origin.git"))
    return repo


def run_branch_files(repo: Path) -> tuple[str | None, dict[str, bytes]]:
    """The files at the tip of the run's branch (agent's result), or the base when no run began."""
    branches = git(repo, "for-each-ref", "--format=%(refname:short)", "refs/heads/agent/").split()
    ref = branches[-1] if branches else "HEAD"
    data = subprocess.run(["git", "archive", "--format=tar", ref], cwd=repo, check=True, capture_output=True).stdout
    files: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        for member in tar.getmembers():
            handle = tar.extractfile(member) if member.isfile() else None
            if handle is not None and not member.name.startswith(RECORD_DIR):
                files[member.name] = handle.read()
    return (ref if branches else None), files


def run_agent(cfg: Settings, task: Task, work: Path, log: Path) -> Outcome:
    """``agent ci propose`` on the task under the cap, then judge the tip of ``agent/RUN``."""
    where = work / "agent"
    where.mkdir(parents=True)
    repo = task_repo(task, where)
    goal = where / "goal.md"
    goal.write_text(task.goal())
    command = [*cfg.agent_cmd, "ci", "propose", "--repo", str(repo), "--goal-file", str(goal),
               "--model", str(cfg.gguf), "--sandbox", "docker", "--test-command", TEST_COMMAND]
    start = time.monotonic()
    done = run_capped(command, where, cfg.agent_env(), cfg.task_seconds, log)
    seconds = time.monotonic() - start
    keep_error_log(cfg.home, where)
    branch, final = run_branch_files(repo)
    verdict = judge(cfg.agent_cmd, task, final, where / "judged", cfg.agent_env())
    notes = [] if branch else ["no run branch: the run stopped before it began"]
    if not verdict.passed:
        notes += tail(done.output)
    notes += judge_notes(verdict)
    return Outcome(verdict.passed, seconds, done.timed_out, done.exit_code, 1, notes)


def keep_error_log(home: Path, where: Path) -> None:
    """agent writes an internal error's traceback to AGENT_HOME, which this run deletes at its end."""
    log = home / "last-error.log"
    if log.is_file():
        log.rename(where / "last-error.log")


def judge_notes(verdict: Verdict) -> list[str]:
    """A judge that could not run (sandbox error, timeout) is named, so it is not read as a miss."""
    if verdict.status in (124, 125, 137, 141, 142):
        return [f"judge: sandbox status {verdict.status}: {' '.join(tail(verdict.output, 2))}"]
    return []


# --- Aider -------------------------------------------------------------------------------------


class LlamaServer:
    """``python -m llama_cpp.server`` on loopback with the GGUF; the chat format comes from the
    GGUF's own template. Started once per run, restarted when it died or was left busy."""

    def __init__(self, gguf: Path, threads: int, log: Path) -> None:
        self.gguf, self.threads, self.log = gguf, threads, log
        self.alias = gguf.stem
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> None:
        self.port = _free_port()
        command = [sys.executable, "-m", "llama_cpp.server", "--model", str(self.gguf),
                   "--model_alias", self.alias, "--host", "127.0.0.1", "--port", str(self.port),
                   "--n_ctx", str(CTX), "--n_threads", str(self.threads), "--n_threads_batch", str(self.threads)]
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        deadline = time.monotonic() + 300
        while not self.answers():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"llama_cpp.server did not start (see {self.log}); "
                                 "install the dev extras: pip install -e '.[dev]'")
            time.sleep(1)

    def answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.base_url}/models", timeout=5) as reply:
                return bool(reply.status == 200)
        except OSError:
            return False

    def ensure(self) -> None:
        """Restart the server when it is gone or does not answer."""
        if self.proc is None or self.proc.poll() is not None or not self.answers():
            self.stop()
            self.start()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None

    def __enter__(self) -> LlamaServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def chat_message(text: str) -> str:
    """Aider reads a message starting with "/" as one of its commands."""
    text = text.strip()
    return f"Task: {text}" if text.startswith("/") else text


def aider_command(cfg: Settings, server: LlamaServer, task: Task, where: Path, message: str, again: bool) -> list[str]:
    """Aider as its Exercism benchmark runs it, quiet and never asking; ``again`` keeps the chat."""
    metadata = where / "model-metadata.json"
    metadata.write_text(json.dumps({f"openai/{server.alias}": {
        "max_tokens": CTX, "max_input_tokens": CTX, "max_output_tokens": CTX // 2,
        "input_cost_per_token": 0, "output_cost_per_token": 0, "litellm_provider": "openai", "mode": "chat"}}))
    command = [str(cfg.aider), "--model", f"openai/{server.alias}", "--openai-api-base", server.base_url,
               "--openai-api-key", "local", "--model-metadata-file", str(metadata),
               "--edit-format", "whole", "--map-tokens", "0", "--no-git", "--yes-always", "--no-stream",
               "--no-detect-urls", "--no-show-model-warnings", "--no-check-update", "--no-analytics",
               "--no-suggest-shell-commands", "--no-pretty", "--no-fancy-input",
               "--chat-history-file", str(where / "chat.md"), "--input-history-file", str(where / "input.txt"),
               "--file", task.stub, "--read", task.test]
    helpers = [rel for rel in task.files() if rel.endswith(".py") and rel not in (task.stub, task.test)]
    for rel in helpers:
        command += ["--read", rel]
    if again:
        command.append("--restore-chat-history")
    return [*command, "--message", chat_message(message)]


def retry_message(task: Task, verdict: Verdict) -> str:
    """The second try's message: the first lines of the test output, then what to fix."""
    lines = verdict.output.splitlines()[:TEST_LINES]
    return "\n".join(lines) + f"\n\n####\n\nFix the code in {task.stub} to resolve the test failures above."


def run_aider(cfg: Settings, server: LlamaServer, task: Task, work: Path, log: Path) -> Outcome:
    """Two tries under the cap (the test run between them counts, as agent's own test runs do),
    then judge the final files."""
    where = work / "aider"
    files = write_tree(task.files(), where / "files")
    server.ensure()
    start = time.monotonic()
    message, exit_code, tries, timed_out, seconds = task.goal(), None, 0, False, 0.0
    verdict: Verdict | None = None
    for attempt in (1, 2):
        left = cfg.task_seconds - (time.monotonic() - start)
        if left <= 0:
            break
        tries = attempt
        done = run_capped(aider_command(cfg, server, task, where, message, attempt > 1), files,
                          {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"}, left, log, grace=0)
        seconds = time.monotonic() - start  # the judge after the last try is outside the tool, as for agent
        exit_code, timed_out = done.exit_code, done.timed_out
        if timed_out:
            server.stop()  # it may still be generating the abandoned reply; the next task starts afresh
            break
        verdict = judge(cfg.agent_cmd, task, read_tree(files), where / f"judged-{attempt}", cfg.agent_env())
        if verdict.passed:
            break
        message = retry_message(task, verdict)
    if verdict is None or timed_out:
        verdict = judge(cfg.agent_cmd, task, read_tree(files), where / "judged", cfg.agent_env())
    notes = [] if verdict.passed else tail(log.read_text(errors="replace"))
    return Outcome(verdict.passed, seconds, timed_out, exit_code, tries, notes + judge_notes(verdict))
