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


# "39 to 60 percent", "39-60%", "between 39 and 60%": a span of results, never one value.
_N = r"[-−]?\d+(?:[.,]\d+)?"
_RANGE = re.compile(
    rf"between\s+{_N}\s*(?:%|percent)?\s+and\s+{_N}\s*(?:%|percent)"
    rf"|{_N}\s*(?:%|percent)?\s*(?:-|–|—|to)\s*{_N}\s*(?:%|percent)",
    re.IGNORECASE,
)
# A label that reads as part of a clause, not a name ("lowered HbA1c by").
_CLAUSE = re.compile(r"\b(by|lowered|lowers|reduced|reduces|increased|increases|improved|improves|"
                     r"decreased|decreases|was|were|is|are)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Chart:
    """What a clinical-data scene draws: bars for `figures`, or, when `as_text` says why, the
    source text itself (a figure that cannot be charted faithfully is not charted)."""

    figures: list[Figure]
    as_text: str | None = None


def chart_of(text: str | None) -> Chart:
    figures = parse_figures(text)
    if not text or not figures:
        return Chart([], None)
    span = _RANGE.search(text)
    if span:
        return Chart([], f"\"{span.group(0).strip()}\" is a range: shown as the text, not as one bar")
    if len(figures) < 2:
        return Chart([], "a single figure with nothing to compare it with: shown as the text")
    labels = [f.label for f in figures]
    unclear = [label for label in labels if _CLAUSE.search(label) or label.startswith("value ")]
    if unclear or len(set(labels)) < len(labels):
        return Chart([], f"the figures' labels cannot be read unambiguously ({', '.join(unclear or labels)}): "
                         "shown as the text")
    return Chart(figures)


def figures_faithful(source: str | None, chart: Chart) -> tuple[bool, dict[str, object]]:
    """Every figure drawn matches its source exactly: its value and unit are in the text as a
    figure of their own (not one end of a range), and a comparison shows at least two labelled arms."""
    if not chart.figures:
        why = chart.as_text or "no figures are drawn as a chart"
        return True, {"summary": why, "drawn": []}
    problems = []
    standalone = {(f.value, f.unit) for f in parse_figures(source)} if source else set()
    ranges = [m.group(0) for m in _RANGE.finditer(source or "")]
    for figure in chart.figures:
        shown = f"{figure.value:g}{figure.unit}"
        if (figure.value, figure.unit) not in standalone:
            problems.append(f"{shown} is not a figure of the source")
        if any(re.search(rf"(?<![\d.]){re.escape(f'{abs(figure.value):g}')}(?![\d.])", r) for r in ranges):
            problems.append(f"{shown} is one end of a range drawn as a single value")
        if not figure.label or figure.label.startswith("value "):
            problems.append(f"{shown} has no label")
    if len(chart.figures) < 2:
        problems.append("a comparison must show both arms")
    drawn = [{"label": f.label, "value": f.value, "unit": f.unit} for f in chart.figures]
    summary = "; ".join(problems) or f"{len(drawn)} figures drawn, each exactly as in the source"
    return not problems, {"summary": summary, "drawn": drawn}
