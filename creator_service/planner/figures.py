"""Figures in a brief's clinical data, for a chart: "1.1% with Metformin vs 0.3% with placebo".

Deliberately modest: it finds numbers and the words that name them. When the text holds
percentages, only those are charted (study lengths like "24 weeks" are context, not results).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_FIGURES = 4
_NUMBER = re.compile(r"(?<![A-Za-z0-9.])([-−]?\d+(?:[.,]\d+)?)\s*(%|percent\b)?")
_AFTER = re.compile(r"^\s*(?:(?:with|for|in|on|of|from)\s+)?(?:the\s+)?([A-Za-z][\w-]*(?:\s+[A-Za-z][\w-]*){0,2})")
_PAREN = re.compile(r"^\s*\(([^)]{1,30})\)")
_BEFORE_WORDS = re.compile(r"([A-Za-z][\w-]*(?:\s+[A-Za-z][\w-]*){0,2})\s*[:=]?\s*$")
# A label ends where the next comparison or clause begins.
_STOP_TAIL = re.compile(r"(?:^|\s+)(?:vs|versus|and|at|over|after|compared|than|out|to|from)\b.*$", re.IGNORECASE)


@dataclass(frozen=True)
class Figure:
    label: str
    value: float
    unit: str


def parse_figures(text: str | None) -> list[Figure]:
    if not text:
        return []
    found: list[Figure] = []
    for match in _NUMBER.finditer(text):
        value = float(match.group(1).replace("−", "-").replace(",", "."))
        unit = "%" if match.group(2) else ""
        rest = text[match.end():]
        candidates = [m.group(1) for m in (_PAREN.match(rest), _AFTER.match(rest),
                                           _BEFORE_WORDS.search(text[: match.start()])) if m]
        labels = [cleaned for cleaned in (_STOP_TAIL.sub("", c).strip() for c in candidates) if cleaned]
        label = labels[0] if labels else f"value {len(found) + 1}"
        found.append(Figure(label=label[:28], value=value, unit=unit))
    percentages = [f for f in found if f.unit == "%"]
    return (percentages or found)[:MAX_FIGURES]
