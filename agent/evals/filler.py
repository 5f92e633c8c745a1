"""Files an eval task's repository gets at materialisation rather than from the package: the
hundred plausible modules a context-engine task hides its one relevant file among, and the
comparison a docstring-only task is judged by."""

from __future__ import annotations

import ast
import random
from pathlib import Path

DOMAINS = ("accounts", "audit", "catalog", "crm", "exports", "geo", "imports", "mail", "metrics", "notify",
           "search", "sessions")
NOUNS = ("record", "entry", "batch", "token", "profile", "report", "queue", "cursor", "filter", "ledger",
         "schedule", "window", "label", "segment", "digest")
BODIES = {
    "load": "return [item.strip() for item in items][:limit]",
    "merge": "return sorted(set(items))[:limit]",
    "count": "return [str(len(items))] if limit else []",
    "render": "return [f\"<{item}>\" for item in items[:limit]]",
    "check": "return [item for item in items if item.isidentifier()][:limit]",
    "trim": "return [item[:limit] for item in items]",
    "index": "return [f\"{i}:{item}\" for i, item in enumerate(items)][:limit]",
    "encode": "return [item.encode().hex() for item in items[:limit]]",
}


def write_filler(root: Path, modules: int, seed: int) -> None:
    """``modules`` small, deterministic Python modules under ``root/services/`` (same seed, same files)."""
    rng = random.Random(seed)
    for domain in DOMAINS:
        (root / "services" / domain).mkdir(parents=True, exist_ok=True)
        (root / "services" / domain / "__init__.py").write_text(f'"""The {domain} service."""\n')
    for i in range(modules):
        domain, noun = DOMAINS[i % len(DOMAINS)], rng.choice(NOUNS)
        lines = [f'"""{noun.capitalize()} handling for {domain}."""\n']
        for verb in rng.sample(sorted(BODIES), 3):
            limit = rng.randint(2, 50)
            lines.append(
                f"\n\ndef {verb}_{noun}s(items: list[str], limit: int = {limit}) -> list[str]:\n"
                f'    """{verb.capitalize()} up to {limit} {noun}s of {domain}."""\n'
                f"    {BODIES[verb]}\n"
            )
        (root / "services" / domain / f"{noun}_{i:03d}.py").write_text("".join(lines))


def _code(text: str) -> str:
    """The module's syntax tree without docstrings (comments never reach the tree)."""
    tree = ast.parse(text)
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree)


def code_unchanged(before: str, after: str) -> bool:
    """Whether ``after`` is ``before`` with only docstrings and comments changed."""
    try:
        return _code(before) == _code(after)
    except SyntaxError:
        return False
