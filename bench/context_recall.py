"""Recall benchmark: does the packed context contain the files a real change touched?

Tasks come from real changes available offline:

* ``--git-repo PATH``: commits touching 1-5 existing files; goal = commit message, tree = the
  parent commit (checked out in a private clone), answer = the files changed;
* ``--debian PKGDIR``: an ``apt-get source`` directory, turned into such a history first: the
  upstream ``*.orig.tar.*`` tree is the root commit and each patch of ``debian/patches/series``
  one commit on top, its DEP-3 ``Description:`` or ``Subject:`` the message (most are exported
  from the maintainers' git patch queues). This machine has no offline git history with 50+
  such commits; Debian's patch series are the nearest real ones.

Recall of a task = share of its files that appear in the context, at each budget: "shown"
counts files whose content is there (ours: in full or as signatures; Aider's RepoMap: a file
entry with its tags), "named" also counts files present by name only (our file list, Aider's
bare file names). Both sides count
tokens with the same approximation (3 characters a token) and get the same goal; Aider gets
the goal's words as mentioned identifiers and file names, as its chat loop would give it.

    python bench/context_recall.py --debian /tmp/csrc/openssh-9.2p1 --json
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUDGETS = (8_000, 32_000)
MAX_FILES = 5
AIDER_DRIVER = r'''
import json, os, re, subprocess, sys, time
from aider.io import InputOutput
from aider.repomap import RepoMap

class Model:
    name = "bench"
    def token_count(self, text):
        return (len(text if isinstance(text, str) else str(text)) + 2) // 3

root, tasks, budgets = sys.argv[1], json.load(open(sys.argv[2])), json.loads(sys.argv[3])
io = InputOutput(pretty=False, yes=True, fancy_input=False)
out = []
for task in tasks:
    if task.get("checkout"):
        subprocess.run(["git", "checkout", "-q", "-f", task["checkout"]], cwd=root, check=True)
    rels = subprocess.run(["git", "ls-files"], cwd=root, capture_output=True,
                          text=True).stdout.splitlines()
    words = set(re.split(r"\W+", task["goal"]))
    # as aider's coder does: mentioned paths and unique, file-like base names
    mentioned = {r for r in rels if r in task["goal"] or
                 (os.path.basename(r) in words and "." in os.path.basename(r))}
    hits = {}
    t0 = time.perf_counter()
    for b in budgets:
        rm = RepoMap(map_tokens=b, root=root, main_model=Model(), io=io, refresh="always")
        text = rm.get_ranked_tags_map([], [os.path.join(root, r) for r in rels], b,
                                      {os.path.join(root, m) for m in mentioned}, words) or ""
        lines = {ln.strip() for ln in text.splitlines()}
        hits[str(b)] = [f for f in task["files"] if f + ":" in lines]  # shown with its tags
        hits[f"{b}-named"] = [f for f in task["files"] if f in lines or f + ":" in lines]
    out.append({"id": task["id"], "hits": hits, "seconds": time.perf_counter() - t0})
print(json.dumps(out))
'''


def ours_child(root: str, tasks_file: str, budgets: list[int]) -> None:
    """Child process: pack every task at every budget; print hits per task as JSON."""
    sys.path.insert(0, str(ROOT))
    from agent.context.pack import pack_repository
    from agent.context.tokens import ApproxCounter

    counter = ApproxCounter()
    out = []
    for task in json.loads(Path(tasks_file).read_text()):
        if task.get("checkout"):
            subprocess.run(["git", "checkout", "-q", "-f", task["checkout"]], cwd=root, check=True)
        hits: dict[str, list[str]] = {}
        t0 = time.perf_counter()
        for b in budgets:
            packed = pack_repository(Path(root), task["goal"], b, counter)
            shown = set(packed.files_full) | set(packed.files_signatures)
            hits[str(b)] = [f for f in task["files"] if f in shown]
            named = shown | set(packed.files_listed)
            hits[f"{b}-named"] = [f for f in task["files"] if f in named]
        out.append({"id": task["id"], "hits": hits, "seconds": time.perf_counter() - t0})
    print(json.dumps(out))


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.email=b@b", "-c", "user.name=b", *args], cwd=cwd,
                          check=True, capture_output=True, text=True).stdout


def git_tasks(repo: Path, limit: int) -> list[dict[str, object]]:
    """Commits (newest first) changing 1-5 files that existed before, with their messages."""
    tasks: list[dict[str, object]] = []
    shas = _git(repo, "rev-list", "--no-merges", "HEAD").split()
    for sha in shas:
        if len(tasks) >= limit:
            break
        parent = _git(repo, "rev-list", "--parents", "-n", "1", sha).split()[1:2]
        if not parent:
            continue
        status = _git(repo, "diff", "--name-status", parent[0], sha).splitlines()
        files = [ln.split("\t", 1)[1] for ln in status if ln.startswith("M\t")]
        if not 1 <= len(files) <= MAX_FILES or len(files) != len(status):
            continue
        message = _git(repo, "log", "-1", "--format=%B", sha).strip()
        if len(message.split()) < 3:  # "update", "wip": not a goal anyone would type
            continue
        tasks.append({"id": sha[:12], "goal": message[:1000], "files": sorted(files),
                      "checkout": parent[0]})
    return tasks


_HEADER = re.compile(r"^(Description|Subject):\s*(.*)$", re.M)


def _message(text: str, name: str) -> str:
    """A patch's commit message: its description (first paragraph too), else its file name."""
    head = _HEADER.search(text)
    if not head:
        return name
    goal = head.group(2).removeprefix("[PATCH] ").strip()
    rest = text[head.end():].split("\n---", 1)[0].split("\n\n", 2)
    extra = rest[1].strip() if len(rest) > 1 and ":" not in rest[1][:30] else ""
    return (goal + "\n" + extra).strip()[:1000]


def debian_history(pkgdir: Path, dest: Path) -> Path:
    """A git repository: the upstream tree as root commit, then one commit per Debian patch."""
    source = pkgdir.name.rsplit("-", 1)[0]
    tarballs = [t for t in sorted(pkgdir.parent.glob(f"{source}_*.orig.tar.*"))
                if not t.name.endswith(".asc")]
    if not tarballs:
        raise SystemExit(f"no {source}_*.orig.tar.* next to {pkgdir}")
    with tarfile.open(tarballs[0]) as tar:
        tar.extractall(dest, filter="data")
    (top,) = [p for p in dest.iterdir() if p.is_dir()]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "upstream"]):
        _git(top, *args)
    patches = pkgdir / "debian" / "patches"
    for line in (patches / "series").read_text().splitlines():
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        strip = next((w for w in words[1:] if w.startswith("-p")), "-p1")
        text = (patches / words[0]).read_text("utf-8", "replace")
        applied = subprocess.run(["patch", strip, "--batch", "--forward", "-s", "-i",
                                  str(patches / words[0])], cwd=top, capture_output=True)
        if applied.returncode != 0:  # not in this tree's shape: leave the history without it
            _git(top, "reset", "-q", "--hard")
            _git(top, "clean", "-qfd")
            continue
        _git(top, "add", "-A")
        _git(top, "commit", "-q", "--allow-empty", "-m", _message(text, words[0]))
    return top


def _child(cmd: list[str]) -> list[dict[str, object]]:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"child failed: {' '.join(cmd[:3])}\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _score(tasks: list[dict[str, object]], results: list[dict[str, object]]) -> dict[str, float]:
    by_id = {r["id"]: r for r in results}
    out: dict[str, float] = {}
    for b in BUDGETS:
        for kind, suffix in (("shown", ""), ("named", "-named")):
            recalls = [len(by_id[t["id"]]["hits"][f"{b}{suffix}"]) / len(t["files"])  # type: ignore[index,arg-type]
                       for t in tasks]
            key = f"recall_{kind}@{b // 1000}k"
            out[key] = round(sum(recalls) / len(recalls), 3) if recalls else 0.0
    secs = [float(r["seconds"]) for r in results]  # type: ignore[arg-type]
    out["seconds_per_task"] = round(sum(secs) / len(secs), 2) if secs else 0.0
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--git-repo", action="append", default=[], type=Path)
    ap.add_argument("--debian", action="append", default=[], type=Path)
    ap.add_argument("--max-tasks", type=int, default=100, help="per source")
    ap.add_argument("--aider-python", type=Path, default=None,
                    help="python of a venv with aider-chat: Aider's RepoMap is measured beside ours")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--_ours", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args._ours:
        ours_child(args._ours[0], args._ours[1], json.loads(args._ours[2]))
        return
    rows: list[dict[str, object]] = []
    report: dict[str, object] = {"budgets": list(BUDGETS), "sources": rows}
    all_tasks: list[dict[str, object]] = []
    results: dict[str, list[dict[str, object]]] = {"ours": [], "aider": []}
    with tempfile.TemporaryDirectory(prefix="ctxrecall-") as tmp:
        work = Path(tmp)
        jobs: list[tuple[str, list[dict[str, object]], Path, Path]] = []
        sources = [(str(r), r) for r in args.git_repo]
        sources += [(str(pkg), debian_history(pkg, work / f"deb{i}"))
                    for i, pkg in enumerate(args.debian)]
        for i, (name, repo) in enumerate(sources):
            tasks = git_tasks(repo, args.max_tasks)
            clones = []
            for side in ("ours", "aider"):
                clone = work / f"git{i}-{side}"
                _git(work, "clone", "-q", "--no-checkout", str(repo), str(clone))
                clones.append(clone)
            jobs.append((name, tasks, clones[0], clones[1]))
        for name, tasks, ours_tree, aider_tree in jobs:
            tasks_file = work / f"tasks-{len(all_tasks)}.json"
            tasks_file.write_text(json.dumps(tasks))
            budgets = json.dumps(list(BUDGETS))
            ours = _child([sys.executable, __file__, "--_ours", str(ours_tree), str(tasks_file),
                           budgets])
            row: dict[str, object] = {"source": name, "tasks": len(tasks),
                                      "ours": _score(tasks, ours)}
            results["ours"] += ours
            if args.aider_python is not None:
                driver = work / "aider_driver.py"
                driver.write_text(AIDER_DRIVER)
                aider = _child([str(args.aider_python), str(driver), str(aider_tree), str(tasks_file),
                                budgets])
                row["aider"] = _score(tasks, aider)
                results["aider"] += aider
            all_tasks += tasks
            rows.append(row)
            if not args.json:
                print(json.dumps(row))
    report["total_tasks"] = len(all_tasks)
    report["ours"] = _score(all_tasks, results["ours"])
    if results["aider"]:
        report["aider"] = _score(all_tasks, results["aider"])
    print(json.dumps(report) if args.json else f"overall: {json.dumps(report)}")


if __name__ == "__main__":
    main()
