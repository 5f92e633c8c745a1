"""Splitting a list of results into pages."""


def page_count(total: int, per_page: int) -> int:
    """How many pages ``total`` results fill at ``per_page`` a page."""
    return total // per_page


def page(items: list[int], number: int, per_page: int) -> list[int]:
    """The items on page ``number`` (counted from 1)."""
    start = (number - 1) * per_page
    return items[start : start + per_page]
