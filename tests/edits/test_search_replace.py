"""Search/replace edits against real files in a real git repository."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.edits.search_replace import apply_edits, parse_edits
from agent.errors import ModelReplyError
from tests.conftest import make_repo

STOCK = "inventory/stock.py"


def reply(*edits: tuple[str, str, str]) -> str:
    return json.dumps({"edits": [{"file": f, "search": s, "replace": r} for f, s, r in edits]})


def test_exact_edit_changes_only_the_matched_lines(py_repo: Path) -> None:
    old = (py_repo / STOCK).read_text()
    new = apply_edits(py_repo, parse_edits(reply((STOCK, "        total = 0\n", "        total = 0.0\n"))))
    assert new[STOCK] == old.replace("        total = 0\n", "        total = 0.0\n")


def test_tolerant_match_ignores_indentation_and_trailing_spaces(py_repo: Path) -> None:
    new = apply_edits(
        py_repo,
        parse_edits(
            reply(
                (
                    STOCK,
                    "total = 0   \nfor quantity, price in self.items.values():",
                    "        total = 0.0\n        for quantity, price in self.items.values():",
                )
            )
        ),
    )
    assert "        total = 0.0\n        for quantity, price" in new[STOCK]


def test_a_replacement_quoted_at_the_wrong_indent_moves_with_its_search(py_repo: Path) -> None:
    # search and replace both at 4 spaces; the file has these lines at 8 (inside a method)
    search = "    total = 0\n    for quantity, price in self.items.values():\n"
    replace = "    total = 0.0\n    for quantity, price in self.items.values():\n"
    new = apply_edits(py_repo, parse_edits(reply((STOCK, search, replace))))
    assert "        total = 0.0\n        for quantity, price in self.items.values():\n" in new[STOCK]


def test_lines_added_at_the_wrong_indent_are_moved_where_python_needs_them(py_repo: Path) -> None:
    search = "    def add_item(self, name, quantity, price):\n"
    at_def_indent = search + "    if quantity < 0:\n        raise ValueError('negative')\n"
    new = apply_edits(py_repo, parse_edits(reply((STOCK, search, at_def_indent))))
    assert search + "        if quantity < 0:\n            raise ValueError('negative')\n" in new[STOCK]
    compile(new[STOCK], STOCK, "exec")
    line = "        have, price = self.items[name]\n"
    # as the 1.5B model writes it: the def quoted without its indent, the body relative to that
    mid_line = ("def add_item(self, name, quantity, price):",
                "def add_item(self, name, quantity, price):\n    if quantity < 0:\n        raise ValueError('no')")
    new = apply_edits(py_repo, parse_edits(reply((STOCK, *mid_line))))
    assert "price):\n        if quantity < 0:\n            raise ValueError('no')\n" in new[STOCK]
    before_unindented = "if quantity > have:\n    raise ValueError('short')\n" + line
    new = apply_edits(py_repo, parse_edits(reply((STOCK, line, before_unindented))))
    assert "        if quantity > have:\n            raise ValueError('short')\n        have, price" in new[STOCK]


def test_an_edit_that_breaks_python_syntax_goes_back_with_the_line(py_repo: Path) -> None:
    search = "    def remove_item(self, name, quantity):\n"
    one_line = "    def remove_item(self, name, quantity): if quantity < 0: raise ValueError()\n"
    with pytest.raises(ModelReplyError, match=r"make inventory/stock.py invalid Python \(.*line 13"):
        apply_edits(py_repo, parse_edits(reply((STOCK, search, one_line))))
    (py_repo / STOCK).write_text("def broken(:\n")  # already broken: the edit is not to blame
    assert apply_edits(py_repo, parse_edits(reply((STOCK, "broken", "still_broken")))) == {
        STOCK: "def still_broken(:\n"}


def test_text_quoted_under_the_wrong_file_is_followed_to_its_one_home(py_repo: Path) -> None:
    new = apply_edits(
        py_repo, parse_edits(reply(("inventory/__init__.py", "        total = 0\n", "        total = 0.0\n")))
    )
    assert list(new) == [STOCK]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ((STOCK, "no such text", "x"), "not found in inventory/stock.py"),
        ((STOCK, "self", "x"), "occurs"),
        ((STOCK, "", "x"), "must quote the lines"),
        (("new/file.py", "something", "x"), "does not exist"),
        (("../outside.py", "", "x"), "not a path inside the repository"),
        ((".git/config", "", "x"), "not a path inside the repository"),
    ],
)
def test_bad_edits_are_refused_with_a_precise_reason(py_repo: Path, edit: tuple[str, str, str], message: str) -> None:
    before = (py_repo / STOCK).read_text()
    with pytest.raises(ModelReplyError, match=message):
        apply_edits(py_repo, parse_edits(reply(edit)))
    assert (py_repo / STOCK).read_text() == before


def test_one_bad_edit_means_nothing_is_applied(py_repo: Path) -> None:
    with pytest.raises(ModelReplyError, match="edit 2"):
        apply_edits(
            py_repo, parse_edits(reply((STOCK, "        total = 0\n", "        total = 1\n"), (STOCK, "missing", "x")))
        )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "not valid JSON"),
        ('{"edits": []}', "non-empty"),
        ('{"edits": [{"file": 1}]}', "string fields"),
    ],
)
def test_malformed_replies_name_the_problem(text: str, message: str) -> None:
    with pytest.raises(ModelReplyError, match=message):
        parse_edits(text)


def test_new_file_is_created_from_an_empty_search(tmp_path: Path) -> None:
    repo = make_repo(Path(__file__).resolve().parents[2] / "workspaces" / "py-inventory", tmp_path / "r")
    new = apply_edits(repo, parse_edits(reply(("docs/NOTES.md", "", "hello\n"))))
    assert new == {"docs/NOTES.md": "hello\n"}
