import pagination


def test_no_results_no_pages() -> None:
    assert pagination.page_count(0, 10) == 0


def test_fewer_than_a_page() -> None:
    assert pagination.page_count(3, 10) == 1


def test_many_pages() -> None:
    assert pagination.page_count(1001, 100) == 11
