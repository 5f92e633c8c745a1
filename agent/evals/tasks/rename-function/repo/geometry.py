"""Rectangles."""


def area(width: float, height: float) -> float:
    return width * height


def describe(width: float, height: float) -> str:
    return f"{width} x {height} = {area(width, height)}"
