"""Mixing two versions of a Python file one unit at a time (``agent/edits/crossover.py``)."""

from __future__ import annotations

from typing import Any

from agent.edits.crossover import mixes, units

BASE = '''"""A school roster."""

LIMIT = 3


class School:
    def __init__(self):
        self.names = []

    def add(self, name):
        self.names.append(name)

    def roster(self):
        return self.names


def grade(n):
    return n
'''
DONOR = '''import itertools
LIMIT = 3

class School:
    def __init__(self):
        self.names = []

    @staticmethod
    def add(self, name):
        raise NotImplementedError

    def roster(self):
        return _sorted(self.names)

    def count(self):
        return len(self.names)


def _sorted(names):
    return sorted(itertools.chain(names))


def grade(n):
    return n
'''


def run(source: str) -> dict[str, Any]:
    scope: dict[str, Any] = {}
    exec(compile(source, "mix.py", "exec"), scope)  # noqa: S102 - the test's own code
    return scope


def test_units_are_top_level_functions_classes_constants_and_methods() -> None:
    found = units(DONOR)
    assert set(found) == {"LIMIT", "School", "School.__init__", "School.add", "School.roster", "School.count",
                          "_sorted", "grade"}
    assert found["School.add"].first == 7 and found["School.add"].indent == 4  # from its decorator
    assert units("def broken(:\n") == {}


def test_each_differing_unit_goes_into_the_base_on_its_own_with_what_it_needs() -> None:
    made = dict(mixes(BASE, DONOR))
    assert set(made) == {"School", "School.add", "School.roster"}  # LIMIT, __init__ and grade are the same
    roster = made["School.roster"]
    assert "def add(self, name):\n        self.names.append(name)" in roster  # the base's own add is kept
    assert roster.startswith('"""A school roster."""\nimport itertools\n')  # the import after the docstring
    school = run(roster)["School"]()
    school.add("b")
    school.add("a")
    assert school.roster() == ["a", "b"]  # the donor's roster, with its helper and import
    assert school.count() == 2  # a method only the donor has comes along
    assert "raise NotImplementedError" not in roster


def test_a_donor_indented_otherwise_is_reindented_to_the_base() -> None:
    donor = "class School:\n  def __init__(self):\n    self.names = []\n\n  def add(self, name):\n" \
            "    if name not in self.names:\n      self.names.append(name)\n\n  def roster(self):\n" \
            "    return self.names\n"
    school = run(dict(mixes(BASE, donor))["School.add"])["School"]()
    school.add("a")
    school.add("a")
    assert school.roster() == ["a"]


def test_nothing_is_mixed_from_a_donor_that_is_the_same_or_does_not_parse() -> None:
    assert mixes(BASE, BASE) == []
    assert mixes(BASE, "def grade(n:\n    return 1\n") == []
    assert mixes("def grade(n:\n", DONOR) == []
