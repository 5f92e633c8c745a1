"""Mixing two versions of a Python file one unit at a time (``agent/edits/crossover.py``)."""

from __future__ import annotations

from typing import Any

from agent.edits.crossover import blamed, hollowed, mixes, spliced, units, unwritten

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


SHORT_TB = """FAILED roster_test.py::RosterTest::test_a_name_added_twice_is_refused
roster_test.py:14: in test_a_name_added_twice_is_refused
    self.assertEqual(school.add("Ann"), False)
roster.py:10: in add
    self.names.append(name)
E   AssertionError: None != False
FAILED roster_test.py::RosterTest::test_grade_of_two
roster_test.py:20: in test_grade_of_two
    self.assertEqual(grade(2), 4)
E   AssertionError: 2 != 4
FAILED roster_test.py::RosterTest::test_empty
roster_test.py:30: in test_empty
    self.assertEqual(School().roster(), [])
"""


def test_the_blamed_unit_is_the_function_the_failing_output_calls_and_frames_most() -> None:
    assert blamed(BASE, SHORT_TB) == "School.add"  # called once and a frame once; grade once, roster once
    assert blamed(BASE, "E   AssertionError: 2 != 4\n    self.assertEqual(grade(2), 4)\n") == "grade"
    assert blamed(BASE, "    self.assertEqual(School(), None)\n") == "School.__init__"  # a class is called to make one
    assert blamed(BASE, "E   AssertionError: LIMIT 3 != 4\n") == ""  # a constant is not asked again
    one = "N = 1\n\n\ndef only(s):\n    return s\n"
    assert blamed(one, "E   AssertionError: 'a' != 'b'\n") == "only"  # named or not, the one function there is
    assert blamed("def f(:\n", "f()") == ""


def test_a_function_written_alone_goes_into_the_file_with_its_new_helpers() -> None:
    reply = "def grade(n):\n    return _square(n)\n\n\ndef _square(n):\n    return n * n\n"
    new = spliced(BASE, "grade", reply)
    assert new is not None and "def grade(n):\n    return _square(n)\n" in new and new.endswith("return n * n\n")
    assert new.startswith(BASE.split("def grade")[0])  # the rest of the file as it was
    assert spliced(BASE, "grade", "def grade(n):\n    return n\n") is None  # the same function: nothing new
    assert spliced(BASE, "grade", "def other():\n    pass\n") is None
    assert unwritten("def other():\n    pass\n", "grade") == "the code block does not define `grade`"
    assert unwritten("def grade(n:\n", "grade").startswith("the code does not parse (")
    assert unwritten("    def add(self, name):\n        pass\n", "School.add") == ""


def test_a_method_written_alone_or_in_its_class_goes_into_its_class() -> None:
    fixed = "    if name in self.names:\n        return False\n    self.names.append(name)\n    return True\n"
    for reply in ("def add(self, name):\n" + fixed,
                  "    def add(self, name):\n" + "    " + fixed.replace("\n    ", "\n        "),
                  "class School:\n    def add(self, name):\n" + "    " + fixed.replace("\n    ", "\n        ")):
        new = spliced(BASE, "School.add", reply)
        assert new is not None, reply
        ns: dict[str, Any] = {}
        exec(new, ns)
        school = ns["School"]()
        assert school.add("Ann") is True and school.add("Ann") is False and school.roster() == ["Ann"]
        assert "def roster(self):" in new and "def grade(n):" in new


def test_a_hollowed_function_keeps_its_signature_and_docstring_and_nothing_else_changes() -> None:
    source = BASE.replace("    def add(self, name):\n", '    def add(self, name):\n        """Add one."""\n')
    cut = hollowed(source, "School.add")
    assert '    def add(self, name):\n        """Add one."""\n        ...\n\n    def roster(self):' in cut
    body = '        """Add one."""\n        self.names.append(name)\n'
    assert cut.replace('        """Add one."""\n        ...\n', body) == source
    assert hollowed(BASE, "grade").endswith("def grade(n):\n    ...\n")
    one_line = "def f(): return 1\n"
    assert hollowed(one_line, "f") == one_line  # a body on the def's own line stays


def test_a_method_written_in_a_class_that_differs_in_nothing_else_is_still_spliced() -> None:
    source = "class Tree:\n    def __init__(self, t):\n        self.t = t\n\n    def depth(self):\n        return 0\n"
    reply = source.replace("return 0", "return len(self.t)")  # the whole class: its mix is the method's
    assert spliced(source, "Tree.depth", reply) == reply
