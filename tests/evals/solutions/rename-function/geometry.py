"""Rectangles."""


def rect_area(width: float, height: float) -> float:
    return width * height


def describe(width: float, height: float) -> str:
    return f"{width} x {height} = {rect_area(width, height)}"
