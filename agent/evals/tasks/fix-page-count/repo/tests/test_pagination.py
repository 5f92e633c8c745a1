import pagination


def test_full_pages() -> None:
    assert pagination.page_count(20, 10) == 2


def test_a_partly_filled_last_page_counts() -> None:
    assert pagination.page_count(21, 10) == 3


def test_page_slices() -> None:
    assert pagination.page(list(range(25)), 3, 10) == [20, 21, 22, 23, 24]
