"""The failing tests' code a repair is shown: found by the runner's test ids in the real files."""

from __future__ import annotations

from pathlib import Path

from agent.graph.failing import FAILING_CODE_CHARS, failing_code

TESTS = '''import unittest

import pytest

from series import slices


class SeriesTest(unittest.TestCase):
    def test_one(self):
        self.assertEqual(slices("1", 1), ["1"])

    def test_zero(self):
        with self.assertRaises(ValueError) as err:
            slices("12345", 0)
        self.assertEqual(err.exception.args[0], "slice length cannot be zero")


@pytest.mark.parametrize("n", [-1, -2])
def test_negative(n):
    with pytest.raises(ValueError, match="negative"):
        slices("123", n)
'''


def reader(root: Path):
    return lambda rel: (root / rel).read_text() if (root / rel).is_file() else None


def test_the_failing_tests_code_is_shown_those_in_the_output_first_each_once(tmp_path: Path) -> None:
    (tmp_path / "series_test.py").write_text(TESTS)
    outcomes = {"series_test.py::SeriesTest::test_one": "passed",
                "series_test.py::test_negative[-1]": "failed", "series_test.py::test_negative[-2]": "failed",
                "series_test.py::SeriesTest::test_zero": "errors"}
    tail = "series_test.py:14: in test_zero\n    self.assertEqual(...)\nE   AssertionError"
    code = failing_code(reader(tmp_path), {"outcomes": outcomes, "output_tail": tail})
    assert code == (
        "The code of the failing tests:\n```\n"
        'def test_zero(self):\n    with self.assertRaises(ValueError) as err:\n        slices("12345", 0)\n'
        '    self.assertEqual(err.exception.args[0], "slice length cannot be zero")\n\n'
        '@pytest.mark.parametrize("n", [-1, -2])\ndef test_negative(n):\n'
        '    with pytest.raises(ValueError, match="negative"):\n        slices("123", n)\n```\n'
    )


def test_nothing_is_shown_when_no_test_is_named_or_found(tmp_path: Path) -> None:
    (tmp_path / "series_test.py").write_text(TESTS)
    read = reader(tmp_path)
    assert failing_code(read, {"outcomes": {}, "output_tail": "1 failed"}) == ""
    assert failing_code(read, {"outcomes": {"series_test.py::SeriesTest::test_one": "passed"}}) == ""
    assert failing_code(read, {"outcomes": {"gone_test.py::test_x": "failed", "tests::adds": "failed",
                                            "series_test.py::test_renamed": "failed"}}) == ""


def test_the_code_shown_is_bounded(tmp_path: Path) -> None:
    body = "".join(f"def test_{i}():\n    assert f({i}) == {'x' * 600!r}\n\n\n" for i in range(6))
    (tmp_path / "test_big.py").write_text(body)
    outcomes = {f"test_big.py::test_{i}": "failed" for i in range(6)}
    code = failing_code(reader(tmp_path), {"outcomes": outcomes, "output_tail": ""})
    assert code.count("def test_") == 2 and "def test_0" in code and "def test_1" in code
    assert len(code) <= FAILING_CODE_CHARS + 100
