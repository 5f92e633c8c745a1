import pytest
from stack import Stack


def test_peek_keeps_the_item() -> None:
    s = Stack()
    s.push(7)
    assert s.peek() == 7 and len(s) == 1 and s.pop() == 7


def test_peek_on_empty() -> None:
    with pytest.raises(IndexError):
        Stack().peek()
