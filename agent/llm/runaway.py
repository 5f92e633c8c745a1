"""Telling a reply that has fallen into a loop while it is still being written.

A small model at temperature 0 sometimes writes one block of lines again and again with only
its numbers changed (the 1.5B, asked for phone_number.py, wrote `if number[18] == '0': raise
...` for every index up to its 1,536-token limit: 208 s on one core, then the same again when
asked for a shorter reply). Stopped once the loop is plain, the reply costs a fraction of that.
"""

from __future__ import annotations

import re

from agent.errors import ReplyCutOff

LONGEST_BLOCK = 8  # lines in the repeated block
MIN_REPEATS = 4  # times the block comes back to back
MIN_LINES = 30  # lines the repetition covers: legitimate tables of numbers stay below this

_NUMBER = re.compile(r"\d+")


def _shape(line: str) -> str:
    """A line with its numbers blanked: the loops change only those."""
    return _NUMBER.sub("0", line.rstrip())


def line_ended(piece: bytes) -> bool:
    """Whether the last piece of a reply (its last two tokens: the tokenizer splits an escape
    as ``;\\`` + ``n``) ends a line: a newline, or one escaped inside a JSON string (a reply in
    JSON carries its code's lines as ``\\n``)."""
    return b"\n" in piece or b"\\n" in piece


def looping(text: str) -> str:
    """The repeated block (its first line, numbers blanked) if ``text`` ends in a loop, else ''.
    Newlines escaped inside a JSON string end lines too."""
    lines = [_shape(line) for line in text.replace("\\n", "\n").split("\n")[:-1]]  # complete lines only
    for size in range(1, LONGEST_BLOCK + 1):
        block = lines[-size:]
        if len(block) < size or not any(line.strip() for line in block):
            continue
        repeats = 1
        while lines[-(repeats + 1) * size: -repeats * size] == block:
            repeats += 1
        if repeats >= MIN_REPEATS and repeats * size >= MIN_LINES:
            return block[0].strip()
    return ""


def loop_cut_off(model: str, loop: str, partial: str) -> ReplyCutOff:
    """The error a reply stopped in a loop raises, on either backend: the re-ask says what was
    repeated, so the model can write the code another way."""
    return ReplyCutOff(f"{model} reply went into a loop, repeating lines like {loop[:60]!r}; "
                       "write the code without repeating it", partial)
