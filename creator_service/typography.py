"""Line breaking for titles and on-screen text: balanced lines, words kept whole.

A greedy wrap fills each line and leaves whatever is left for the last one, which is how a
title ends with one word alone ("How Metformin fits / in"). `balanced_lines` keeps the greedy
wrap's number of lines but chooses the breaks that make the lines as even as possible
(least squared slack, the way TeX and CSS `text-wrap: balance` do). A word longer than a line
is never cut: it gets a line of its own, and the renderer shrinks the block to fit.
"""

from __future__ import annotations

import textwrap
from functools import lru_cache


def balanced_lines(text: str, per_line: int) -> list[str]:
    words = text.split()
    if not words:
        return []
    greedy = textwrap.wrap(text, per_line, break_long_words=False, break_on_hyphens=False)
    count = len(greedy)
    if count <= 1:
        return greedy
    # The width every line would have if the text split evenly; the score is distance from it,
    # so no line, the last one included, is left short.
    target = max(len(" ".join(words)) / count, max(len(w) for w in words))

    @lru_cache(maxsize=None)
    def best(start: int, lines: int) -> tuple[float, tuple[int, ...]]:
        """(cost, break positions) for words[start:] in exactly `lines` lines."""
        if lines == 1:
            line = " ".join(words[start:])
            over = max(0, len(line) - per_line) * 1000 if len(words) - start > 1 else 0
            return (len(line) - target) ** 2 + over, ()
        choice: tuple[float, tuple[int, ...]] = (float("inf"), ())
        for end in range(start + 1, len(words) - lines + 2):
            line = " ".join(words[start:end])
            if len(line) > per_line and end - start > 1:
                break
            cost, rest = best(end, lines - 1)
            cost += (len(line) - target) ** 2
            if cost < choice[0]:
                choice = (cost, (end, *rest))
        return choice

    _, cuts = best(0, count)
    bounds = [0, *cuts, len(words)]
    return [" ".join(words[a:b]) for a, b in zip(bounds, bounds[1:])]
