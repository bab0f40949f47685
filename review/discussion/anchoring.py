"""Where a commented span of one version's text stands in the next version (pure: no Django).

A thread's words are found again in the new text by exact match first (the occurrence
nearest to where they stood, so a repeated phrase keeps its place), then by a fuzzy
match (rapidfuzz's best partial alignment, widened to whole words) scoring at least
FUZZY_THRESHOLD against the old words. Anything weaker is not the same words: the
thread is outdated and shows the words it was about.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz

# Percent similarity (rapidfuzz's ratio) the found words need against the old ones.
# 80 keeps an inflection or a corrected typo ("reduce" -> "reduces") and drops a rewrite.
FUZZY_THRESHOLD = 80.0


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    how: str  # "exact" or "fuzzy"
    score: float = 100.0


def span_problem(text: str, start: int, end: int, quote: str | None) -> str | None:
    """Why (start, end, quote) is not a span of `text`, or None. Offsets count characters (code points)."""
    if not 0 <= start < end <= len(text):
        return f"start and end must satisfy 0 <= start < end <= {len(text)} (the version's length)."
    words = text[start:end]
    if not words.strip():
        return "The span holds no words."
    if quote is not None and quote != words:
        return f"The quoted words do not match the version's text at {start}-{end} (it reads “{words}”)."
    return None


def _whole_words(text: str, start: int, end: int) -> bool:
    """The span neither starts nor ends inside a word ("reduce" is not found inside "reduces")."""
    cuts_start = start > 0 and text[start - 1].isalnum() and text[start].isalnum()
    cuts_end = end < len(text) and text[end].isalnum() and text[end - 1].isalnum()
    return not (cuts_start or cuts_end)


def _widen_to_words(text: str, start: int, end: int) -> tuple[int, int]:
    """Trim spaces off the span's ends, then widen an end that falls inside a word to the whole word."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end:
        while start > 0 and text[start - 1].isalnum():
            start -= 1
        while end < len(text) and text[end].isalnum():
            end += 1
    return start, end


def relocate(quote: str, old_start: int, old_text: str, new_text: str) -> Span | None:
    """The span of `new_text` holding `quote` (which stood at `old_start` of `old_text`), or None."""
    if not quote.strip() or not new_text:
        return None
    # Where the words would be if only the text around them changed length evenly.
    expected = round(old_start * len(new_text) / len(old_text)) if old_text else 0
    exact = []
    at = new_text.find(quote)
    while at != -1:
        if _whole_words(new_text, at, at + len(quote)):
            exact.append(at)
        at = new_text.find(quote, at + 1)
    if exact:
        best = min(exact, key=lambda i: (abs(i - expected), i))
        return Span(best, best + len(quote), "exact")
    if len(quote) > len(new_text):
        return None
    aligned = fuzz.partial_ratio_alignment(quote, new_text)
    if aligned is None:
        return None
    start, end = _widen_to_words(new_text, aligned.dest_start, aligned.dest_end)
    if start >= end:
        return None
    score = fuzz.ratio(quote, new_text[start:end])
    if score < FUZZY_THRESHOLD:
        return None
    return Span(start, end, "fuzzy", round(score, 1))
