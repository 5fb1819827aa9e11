"""The rules a `compliance_video` script must pass, in one readable place.

A compliance video may only say what its reference text (`reference_docs`) says. The script is
checked sentence by sentence:

1. `no_reference` - without reference text nothing factual can be checked, so nothing passes.
2. `absolute_claim` - absolute or promotional claims are refused outright ("cure",
   "guaranteed", "100% safe", "no side effects", "risk-free", "miracle", ...).
3. `unsupported_superlative` - superlatives ("best", "most effective", "safest", "#1", ...)
   are refused unless the reference text itself uses them.
4. `unsupported_statement` - every factual sentence must be supported by one sentence of the
   reference: most of its content words and all of its numbers must appear there. Sentences
   that state no fact (questions, "talk to your doctor", "see the full prescribing
   information") are exempt.
5. `missing_approved_use` - the reference's approved-use statement ("… is indicated for …")
   must be said.
6. `missing_safety_information` - at least one of the reference's safety statements must be said.

`check_script` returns every violation with the sentence, the rule and what is missing, so a
reviewer can regenerate with precise feedback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A sentence is supported when this share of its content words is in one reference sentence.
SUPPORT_THRESHOLD = 0.6
# The approved-use statement counts as said when a script sentence covers this much of it.
APPROVED_USE_COVERAGE = 0.6

ABSOLUTE_CLAIMS: tuple[tuple[str, str], ...] = (
    (r"\bcur(e|es|ed|ing)\b", "'cure'"),
    (r"\bguarantee(d|s)?\b", "'guaranteed'"),
    (r"\b100\s*%\s*(safe|effective)\b", "'100% safe/effective'"),
    (r"\bno side[- ]effects?\b", "'no side effects'"),
    (r"\b(completely|totally|perfectly|absolutely) safe\b", "'completely safe'"),
    (r"\brisk[- ]free\b", "'risk-free'"),
    (r"\bmiracle\b", "'miracle'"),
    (r"\balways works?\b", "'always works'"),
    (r"\bnever fails\b", "'never fails'"),
    (r"\binstant(ly)? (relief|results)\b", "'instant results'"),
    (r"\bpermanent(ly)? (cure|fix|solution)\b", "'permanent solution'"),
)
SUPERLATIVES: tuple[str, ...] = (
    r"\bbest\b", r"\bmost effective\b", r"\bsafest\b", r"\bfastest\b", r"\bstrongest\b",
    r"#\s*1\b", r"\bnumber one\b", r"\bleading\b", r"\bsuperior\b", r"\bunmatched\b",
    r"\bunrivall?ed\b", r"\brevolutionary\b", r"\bbreakthrough\b", r"\bmost advanced\b",
    r"\bbetter than\b",
)
# Sentences that direct the viewer rather than state a fact about the product.
EXEMPT_SENTENCES: tuple[str, ...] = (
    r"\?$",
    r"\b(talk|speak) (to|with) your (doctor|healthcare (provider|professional)|pharmacist)\b",
    r"\b(ask|consult) your (doctor|healthcare (provider|professional)|pharmacist)\b",
    r"\b(see|read|review) (the )?(full )?(prescribing information|patient information|medication guide)\b",
    r"\breport (any )?(side effects|adverse (events|reactions))\b",
    r"^this (video|presentation|overview) (summari[sz]es|covers|presents|explains|is)\b",
)
# An imperative opening: the sentence tells the viewer what to do.
DIRECTION = re.compile(
    r"^(please\s+|now\s+|so\s+|always\s+)?(ask|talk|speak|tell|read|review|consult|check|visit|call|"
    r"contact|see|learn|find out|keep|follow|be open)\b",
    re.IGNORECASE,
)
SAFETY_WORDS = re.compile(
    r"\b(warning|warnings|contraindicat\w*|do not (take|use)|should not|side effects?|adverse|"
    r"risk of|may cause|serious|allerg\w*|precaution\w*|safety)\b",
    re.IGNORECASE,
)
APPROVED_USE_WORDS = re.compile(
    r"\b(is|are) (indicated|approved|used) (for|to|as|in)\b|\bindicated (for|as|in)\b",
    re.IGNORECASE,
)
ISI_HEADING = re.compile(r"important safety information", re.IGNORECASE)

_STOP = frozenset(
    """a an the and or of to in on for with by at from as is are was were be been being it its this
    that these those which who whom your you our we they their there here not no can may might
    should would will shall do does did has have had than then also into over under about
    such any all each other more most some per if when while both either""".split()
)
_WORD = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)?")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


@dataclass(frozen=True)
class Violation:
    sentence: str | None
    rule: str
    detail: str

    def describe(self) -> str:
        where = f'"{self.sentence}"' if self.sentence else "the script as a whole"
        return f"{where}: {self.rule} - {self.detail}"


def sentences(text: str) -> list[str]:
    """Split text into sentences, keeping headings and list lines as their own sentences."""
    parts: list[str] = []
    for line in re.split(r"\n+", text):
        line = line.strip(" \t-•*")
        if not line:
            continue
        parts.extend(part.strip() for part in re.split(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])", line) if part.strip())
    return parts


def _stem(word: str) -> str:
    for suffix in ("ations", "ation", "ments", "ment", "ingly", "edly", "ing", "ies", "ied", "es", "ed", "ly", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def content_words(text: str) -> set[str]:
    return {_stem(w) for w in _WORD.findall(text.lower()) if w not in _STOP and not w.isdigit()}


def numbers(text: str) -> set[str]:
    return {n.replace(",", ".") for n in _NUMBER.findall(text)}


def support(sentence: str, reference: list[str]) -> tuple[float, str | None]:
    """How much of the sentence one reference sentence covers, and which sentence that is."""
    words = content_words(sentence)
    if not words:
        return 1.0, None
    best, best_sentence = 0.0, None
    for candidate in reference:
        covered = len(words & content_words(candidate)) / len(words)
        if covered > best:
            best, best_sentence = covered, candidate
    return best, best_sentence


def is_exempt(sentence: str) -> bool:
    """A question, or a direction to the viewer ("Ask your doctor…", "Read the leaflet."): it
    states no fact about the product, so there is nothing to trace. A sentence with a figure in
    it always counts as a claim."""
    text = sentence.strip()
    if any(re.search(pattern, text, re.IGNORECASE) for pattern in EXEMPT_SENTENCES):
        return True
    return bool(DIRECTION.search(text)) and not _NUMBER.search(text)


def approved_use_statement(reference_text: str) -> str | None:
    return next((s for s in sentences(reference_text) if APPROVED_USE_WORDS.search(s)), None)


def safety_statements(reference_text: str) -> list[str]:
    """Sentences under an Important Safety Information heading, or that read as safety text."""
    found: list[str] = []
    in_isi = False
    for sentence in sentences(reference_text):
        if ISI_HEADING.search(sentence) and len(sentence.split()) <= 6:
            in_isi = True
            continue
        if (in_isi or SAFETY_WORDS.search(sentence)) and not APPROVED_USE_WORDS.search(sentence):
            found.append(sentence)
    return found


def reference_problems(reference_text: str | None) -> list[Violation]:
    """What makes a reference text unusable before any script is written."""
    if not reference_text or not reference_text.strip():
        return [Violation(None, "no_reference",
                          "the brief has no reference_docs and no references, so no statement can be "
                          "checked; start a new compliance_video with the approved reference text")]
    problems = []
    if approved_use_statement(reference_text) is None:
        problems.append(Violation(None, "missing_approved_use",
                                  "the reference text has no approved-use statement "
                                  "(\"… is indicated for …\") to state"))
    if not safety_statements(reference_text):
        problems.append(Violation(None, "missing_safety_information",
                                  "the reference text has no safety statements to include"))
    return problems


def check_script(script_sentences: list[str], reference_text: str | None) -> list[Violation]:
    if not reference_text or not reference_text.strip():
        return reference_problems(reference_text)
    reference = sentences(reference_text)
    reference_lower = reference_text.lower()
    violations: list[Violation] = []
    for sentence in script_sentences:
        if is_exempt(sentence):
            violations.extend(claim_violations(sentence, reference_lower))
        else:
            violations.extend(assess(sentence, reference, reference_lower).violations)

    violations.extend(reference_problems(reference_text))
    approved = approved_use_statement(reference_text)
    if approved and not any(support(approved, [s])[0] >= APPROVED_USE_COVERAGE for s in script_sentences):
        violations.append(Violation(None, "missing_approved_use",
                                    f"the approved use must be stated: \"{approved}\""))
    safety = safety_statements(reference_text)
    if safety and not any(support(s, safety)[0] >= SUPPORT_THRESHOLD for s in script_sentences):
        violations.append(Violation(None, "missing_safety_information",
                                    f"at least one safety statement must be said, e.g. \"{safety[0]}\""))
    return violations


@dataclass(frozen=True)
class Assessment:
    """One factual sentence judged against a reference: the reference sentence that covers it
    best, and what is wrong with it (nothing when it is supported)."""

    source: str | None
    violations: list[Violation]


def assess(sentence: str, reference: list[str], reference_lower: str) -> Assessment:
    violations = claim_violations(sentence, reference_lower)
    covered, source = support(sentence, reference)
    missing_numbers = numbers(sentence) - numbers(source or "")
    if covered < SUPPORT_THRESHOLD:
        unsupported = sorted(content_words(sentence) - content_words(source or ""))
        violations.append(Violation(
            sentence, "unsupported_statement",
            f"not supported by the reference text ({covered:.0%} of its content words are in "
            f"its closest reference sentence; words not found: {', '.join(unsupported[:8])})",
        ))
    elif missing_numbers:
        violations.append(Violation(
            sentence, "unsupported_statement",
            f"the figure(s) {', '.join(sorted(missing_numbers))} are not in the reference sentence "
            f"it paraphrases: \"{source}\"",
        ))
    return Assessment(source, violations)


def claim_violations(sentence: str, reference_lower: str) -> list[Violation]:
    found: list[Violation] = []
    for pattern, name in ABSOLUTE_CLAIMS:
        if re.search(pattern, sentence, re.IGNORECASE):
            found.append(Violation(sentence, "absolute_claim",
                                   f"{name} is an absolute or promotional claim and is never allowed"))
    for pattern in SUPERLATIVES:
        match = re.search(pattern, sentence, re.IGNORECASE)
        if match and not re.search(pattern, reference_lower, re.IGNORECASE):
            found.append(Violation(sentence, "unsupported_superlative",
                                   f"'{match.group(0)}' is a superlative the reference text does not make"))
    return found


def describe(violations: list[Violation]) -> str:
    lines = [f"{len(violations)} compliance violation(s):"]
    lines.extend(f"{n}. {v.describe()}" for n, v in enumerate(violations, start=1))
    return "\n".join(lines)
