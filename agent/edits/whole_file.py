"""Whole-file edits: the model writes each changed file in full, in a fenced code block.

Small models write code far better as plain code than as text escaped inside JSON strings, and
for a small file a whole new copy is no longer than a search/replace reply: no quoting of
search text that must match the file to the letter. The reply is free text, parsed leniently:
a block's file is the path on the line before it, or the stage's only file.
See adr/0002-edit-format.md for when this format is used and what it measured.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from pathlib import PurePosixPath

from agent.edits.syntax import check_python_syntax, mend_indentation
from agent.errors import ModelReplyError

WHOLE_FILE_MAX_LINES = 250  # above this a whole copy costs more tokens than it saves

FENCE = re.compile(r"^[ \t]*```[^\n`]*\n(.*?)^[ \t]*```[ \t]*$", re.M | re.S)
_PATH_DECOR = re.compile(r"^[\s#>*`'\"]*(?:file(?:name)?\s*:\s*)?|[\s*`'\":]*$", re.I)


def fits_whole(texts: list[str | None]) -> bool:
    """Whether every file of a stage is small enough to be rewritten whole (new files are)."""
    return all(t is None or t.count("\n") <= WHOLE_FILE_MAX_LINES for t in texts)


def _gbnf_literal(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


CODE_LINE = r'line ::= ([^`\n] [^\n]* | "`" [^`\n] [^\n]* | "``" [^`\n] [^\n]*)? "\n"'  # any line but a fence


def whole_file_grammar(stage_files: list[str]) -> str:
    """GBNF for a reply of one fenced block per file of the stage, each after its path, and
    nothing else: the reply cannot ramble past the last block, and every block names its file."""
    paths = " | ".join(_gbnf_literal(f) for f in stage_files)
    blocks = r' "\n\n" '.join(["block"] * len(stage_files))
    return "\n".join([
        f"root ::= {blocks}",
        r'block ::= path "\n```" lang "\n" line* "```"',
        f"path ::= {paths}",
        "lang ::= [a-zA-Z0-9+#-]*",
        CODE_LINE,
    ])


def _path_before(reply: str, start: int) -> str:
    """The path named on the last non-empty line before a fence, with decoration stripped."""
    lines = [ln for ln in reply[:start].splitlines() if ln.strip()]
    return _PATH_DECOR.sub("", lines[-1]).strip() if lines else ""


def parse_whole_files(reply: str, stage_files: list[str]) -> dict[str, str]:
    """Path -> new content for each fenced block of ``reply``; ``ModelReplyError`` says what is wrong."""
    blocks = list(FENCE.finditer(reply))
    if not blocks:
        if reply.count("```") % 2:
            raise ModelReplyError("the reply was cut off inside a code block; reply with shorter files")
        raise ModelReplyError("the reply has no fenced code block; give each file's path, then the whole file in ```")
    out: dict[str, str] = {}
    for i, block in enumerate(blocks, 1):
        named = _path_before(reply, block.start()).removeprefix("./")
        if named in stage_files or (named and PurePosixPath(named).name in {PurePosixPath(f).name for f in stage_files}
                                    and len(stage_files) == 1):
            path = named if named in stage_files else stage_files[0]
        elif len(stage_files) == 1 and len(blocks) == 1:
            path = stage_files[0]
        else:
            raise ModelReplyError(
                f"code block {i} does not say which file it is: put one of {', '.join(stage_files)} on the line "
                "before its ```"
            )
        out[path] = block.group(1)
    return out


def _top_level_names(text: str) -> set[str]:
    """Functions, classes and variables a Python module defines at its top level."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return set()
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def check_names_kept(before: dict[str, str], after: dict[str, str], goal: str) -> None:
    """Raise ``ModelReplyError`` if a rewritten Python file leaves out names it defined that the
    goal does not name: a small model's whole file is then a fragment or a stray line (seen:
    a 20-line module replied as ``obj['hangman.py']``), not the file with its change."""
    said = set(re.findall(r"\w+", goal))
    for rel, text in sorted(after.items()):
        if not rel.endswith(".py") or rel not in before:
            continue
        gone = sorted(_top_level_names(before[rel]) - _top_level_names(text) - said)
        if gone:
            raise ModelReplyError(
                f"the new {rel} leaves out {', '.join(gone[:6])}{' ...' if len(gone) > 6 else ''}, which it "
                "defined: give the whole file, every line of it, with the stage's change made"
            )


def apply_whole_files(read: Callable[[str], str | None], reply: str, stage_files: list[str],
                      goal: str) -> dict[str, str]:
    """The new text of each file the reply rewrites, checked before anything is written.

    ``read`` gives each file as the prompt showed it: a draw of a stage's first prompt is
    checked against the checkpoint's files, not against the candidate the worktree holds now.
    """
    new = {rel: mend_indentation(text) if rel.endswith(".py") else text
           for rel, text in parse_whole_files(reply, stage_files).items()}
    before = {rel: text for rel in new if (text := read(rel)) is not None}
    check_python_syntax(before, new)
    check_names_kept(before, new, goal)
    return new
