from stack import Stack


def test_push_pop() -> None:
    s = Stack()
    s.push(1)
    s.push(2)
    assert s.pop() == 2 and len(s) == 1


def test_peek() -> None:
    s = Stack()
    s.push("a")
    s.push("b")
    assert s.peek() == "b"
