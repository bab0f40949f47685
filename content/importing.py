"""Turn an uploaded article into a title, sections, claims and citations.

Three input formats share one path: plain text and Markdown are parsed
directly; a saved HTML page is reduced to Markdown by trafilatura first, so we
never pattern-match HTML ourselves.

Everything here is pure (no Django, no database, no I/O) so the parser can be
tested in isolation and run before anything is written.  Claim text is kept
character for character: curly quotes, em dashes and non-ASCII text are what
reviewers sign off on, so "cleaning" them would silently change a claim.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field, replace
from typing import TypeAlias

__all__ = [
    "FORMATS",
    "MAX_BYTES",
    "ImportRejected",
    "ParsedArticle",
    "ParsedCitation",
    "ParsedClaim",
    "ParsedSection",
    "claim_count",
    "decode",
    "detect_format",
    "normalise_claim_text",
    "parse_article",
]


class ImportRejected(ValueError):
    """Input we cannot import; str(exc) is a one-line message for the uploader."""


MAX_BYTES = 2 * 1024 * 1024
FORMATS = ("text", "markdown", "html")


@dataclass(frozen=True)
class ParsedCitation:
    label: str
    authors: str
    year: int | None
    key: str
    title: str = ""
    doi: str = ""
    pmid: str = ""
    url: str = ""
    # False when the text cites a work its own reference list does not hold ("[7]" of a
    # six-entry list, "(Smith, 2019)" with no Smith 2019): kept, so a reviewer can be told.
    resolved: bool = True


@dataclass(frozen=True)
class ParsedClaim:
    text: str
    citations: tuple[ParsedCitation, ...]


@dataclass(frozen=True)
class ParsedSection:
    heading: str
    claims: tuple[ParsedClaim, ...]


@dataclass(frozen=True)
class ParsedArticle:
    title: str
    sections: tuple[ParsedSection, ...]
    references: tuple[ParsedCitation, ...]


def claim_count(article: ParsedArticle) -> int:
    return sum(len(section.claims) for section in article.sections)


# --- Bytes and formats ---------------------------------------------------------------------------------------------

_BOM = b"\xef\xbb\xbf"


def decode(data: bytes) -> str:
    """Strict UTF-8: guessing an encoding could corrupt the text reviewers sign off."""
    if len(data) > MAX_BYTES:
        raise ImportRejected(f"File is larger than 2 MB ({len(data)} bytes).")
    offset = len(_BOM) if data.startswith(_BOM) else 0
    try:
        text = data[offset:].decode("utf-8")
    except UnicodeDecodeError as exc:
        position = exc.start + offset  # report the position in the file as uploaded
        raise ImportRejected(
            f"File is not UTF-8 text: invalid byte 0x{data[position]:02x} at position {position}."
        ) from None
    if "\x00" in text:  # valid UTF-8 but binary; the database cannot store NUL anyway
        raise ImportRejected("File is not text: it contains NUL bytes.")
    return text


# The inside of a numeric citation: "3", "2,3", "4-6", "4–6".
_NUMBERS = r"\d{1,3}(?:\s*[,–—-]\s*\d{1,3})*"
_EXTENSIONS = {".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html", ".txt": "text"}
# Sniffing only picks a parser; the HTML itself is never parsed with regexes.
_HTML_SNIFF = re.compile(r"<(?:!doctype\s+html|html|body|p)[\s>]", re.IGNORECASE)
_MARKDOWN_SNIFF = re.compile(rf"^(?:#{{1,6}}\s+\S|[-*+]\s+\S)|\[{_NUMBERS}\]", re.MULTILINE)


def detect_format(text: str, filename: str = "") -> str:
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].lower()
    for extension, fmt in _EXTENSIONS.items():
        if name.endswith(extension):
            return fmt
    if _HTML_SNIFF.search(text):
        return "html"
    if _MARKDOWN_SNIFF.search(text):
        return "markdown"
    return "text"


# --- Small text helpers --------------------------------------------------------------------------------------------

_STRAIGHTEN = str.maketrans(
    {"‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'", "“": '"', "”": '"', "„": '"', "‟": '"', "″": '"'}
)


def normalise_claim_text(text: str) -> str:
    """Comparison key for a claim: survives re-typed quotes, spacing and a final full stop."""
    return " ".join(text.translate(_STRAIGHTEN).casefold().split()).rstrip(" .!?;:,…")


def _line_key(line: str) -> str:
    """How a line is compared with the title: Markdown heading/emphasis markup is ignored."""
    return normalise_claim_text(line.strip().lstrip("#").strip(" *_"))


def _has_terminal_punctuation(line: str) -> bool:
    """Does the line end like a sentence or clause ("… end.", "… said “no.”", "… for:")?"""
    last = line.rstrip("”’\"')*_ ")[-1:]
    return bool(last) and last in ".!?:;,"


def _words(line: str) -> list[str]:
    return re.findall(r"[\w'’]+", line.casefold())


# --- Boilerplate: navigation and call-to-action lines copied along with the article --------------------------------

# A line is dropped only if it is short, has no terminal punctuation and either
# is one of these exact lines or starts with one of these phrases. Phrases are
# specific ("contact us", not "contact") so headings such as "Contact Dermatitis"
# or "The Bottom Line" survive.
_BOILERPLATE_LINES = frozenset(
    {
        "menu",
        "home",
        "search",
        "close",
        "print",
        "tweet",
        "share",
        "top",
        "next",
        "previous",
        "advertisement",
        "related articles",
        "related posts",
        "related content",
        "table of contents",
        "contents",
        "privacy policy",
        "terms of use",
        "terms and conditions",
        "all rights reserved",
    }
)
_CTA_PHRASES = tuple(
    tuple(phrase.split())
    for phrase in (
        "book appointment",
        "book an",
        "book a",
        "book now",
        "book online",
        "share",
        "tweet",
        "print this",
        "skip to",
        "read more",
        "learn more",
        "continue reading",
        "see more",
        "view more",
        "click here",
        "subscribe",
        "contact us",
        "call now",
        "call us",
        "call today",
        "sign up",
        "sign in",
        "log in",
        "log out",
        "login",
        "follow us",
        "accept cookies",
        "accept all",
        "cookie",
        "cookies",
        "make an appointment",
        "request a",
        "request an",
        "schedule a",
        "schedule an",
        "back to",
        "go to",
        "download",
        "donate",
        "get started",
        "email us",
        "join us",
        "join our",
    )
)
_CTA_BY_FIRST_WORD: dict[str, list[tuple[str, ...]]] = {}
for _phrase in _CTA_PHRASES:
    _CTA_BY_FIRST_WORD.setdefault(_phrase[0], []).append(_phrase)


def _is_boilerplate(line: str) -> bool:
    stripped = line.strip().strip("*_#>»«→←|· ").strip()
    if not stripped or _has_terminal_punctuation(stripped) or _BULLET.match(line):
        return False
    words = _words(stripped)
    if not words or len(words) > 5:
        return False
    if " ".join(words) in _BOILERPLATE_LINES:
        return True
    return any(tuple(words[: len(phrase)]) == phrase for phrase in _CTA_BY_FIRST_WORD.get(words[0], []))


_MD_LINK = re.compile(r"!?\[[^\]]*\]\([^)]*\)")
# kramdown's attribute lines ("{.list--check}", "{: #id}") style the block above; they say nothing.
_KRAMDOWN_ATTRIBUTES = re.compile(r"^\s*\{:?\s*[.#][^{}]*\}\s*$")
# Bylines and dates: "By Jo Lee · Medically reviewed by …", "Last updated: 3 March 2025 · 6 min read".
_BYLINE = re.compile(
    r"^(?:(?:written|reviewed|medically reviewed|fact[- ]checked|edited)\s+by|"
    r"(?-i:By\s+[A-Z][\w'’.-]+\s+[A-Z][^.!?]*$)|"
    r"(?:last\s+|page\s+last\s+)?(?:updated|reviewed|published|posted|modified)(?:\s+on)?\s*:?\s*"
    r"(?:\d|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec))",
    re.IGNORECASE,
)
_READING_TIME = re.compile(r"\b\d+\s*(?:-|\s)?min(?:ute)?s?\s+read\b", re.IGNORECASE)
# Affiliations: "1 Department of …, University of …, City, Country" with no sentence in it.
_AFFILIATION = re.compile(
    r"^\W*(?:\d{1,2}|[a-z]|[*†‡§])?\W*(?:(?:the\s+)?(?:department|dept|division|school|faculty|institute|centre|"
    r"center|laboratory|unit|university|hospital|college)\b)",
    re.IGNORECASE,
)
_NAME = r"[A-ZÀ-ÖØ-Þ][\w'’-]*\.?"
_NAME_PARTICLE = r"(?:van|von|de|der|den|du|da|di|le|la|del|della|dos|das|ten|ter)"
# "Marylee J van der Meulen, Mike T John, Frank Lobbezoo": three or more names and nothing else.
_AUTHOR_LIST = re.compile(
    rf"^\s*(?:{_NAME}(?:\s+(?:{_NAME}|{_NAME_PARTICLE}))*\s*[\d,*†‡§]*\s*(?:,|;|\band\b|&)\s*){{2,}}"
    rf"{_NAME}(?:\s+(?:{_NAME}|{_NAME_PARTICLE}))*[\d*†‡§]*\s*$"
)


def _is_furniture_line(line: str, markdown: bool) -> bool:
    """Page furniture that is never part of a sentence: links-only lines, bylines, author lists."""
    stripped = line.strip().strip("*_").strip()
    if not stripped:
        return False
    if markdown and _KRAMDOWN_ATTRIBUTES.match(stripped):
        return True
    if _BULLET.match(line):
        return False  # list items are content ("- [cognitive behavioural therapy](…)")
    if markdown and "](" in stripped and not re.search(r"[^\W_]", _MD_LINK.sub("", stripped)):
        return True  # "[Book a GP appointment](…)", "[Home](/) | [Services](/services)"
    if not _has_terminal_punctuation(stripped) or len(stripped.split()) <= 30:
        parts = [part.strip() for part in re.split(r"\s[|·•]\s", stripped)]
        if len(parts) >= 3 and all(0 < len(part.split()) <= 4 for part in parts):
            return True  # "Home | Services | Contact us"
    if len(stripped.split()) <= 30 and (_BYLINE.match(stripped) or _READING_TIME.search(stripped)):
        return True
    if not stripped.endswith("."):
        if _AUTHOR_LIST.match(stripped):
            return True
        if _AFFILIATION.match(stripped) and "," in stripped and len(stripped.split()) <= 30:
            return True
    return False


# Press-release furniture addressed to journalists, not to readers. A notice paragraph
# ("Editor's note: …", "Note: A media teleconference …", after an optional wire prefix
# such as "Newswise — ") goes as a whole; the other patterns drop one sentence.
_WIRE_PREFIX = r"^\W*(?:[A-Z][\w.]*(?:\s+[A-Z][\w.]*){0,2}\s+[—–-]{1,2}\s+)?"
_NOTICE = re.compile(
    _WIRE_PREFIX + r"(?:editor'?s'?\s+note|note\s+to\s+(?:editors|journalists|reporters|media)|note|"
    r"media\s+(?:advisory|alert|note))\s*:",
    re.IGNORECASE,
)
_FURNITURE_SENTENCE = re.compile(
    r"^\W*(?:(?:media|press|news\s+media)\s+(?:contacts?|inquiries|enquiries)|contacts?|for\s+media)\s*:"
    r"|^\W*(?:journalists|reporters|editors|members\s+of\s+the\s+media|media)\b.{0,120}?"
    r"\b(?:available|download|call|dial|email|e-mail|contact|register|request|embargo)"
    r"|^\W*for\s+(?:photos|images|pictures|videos?|b-roll|graphics|multimedia|high[- ]resolution)\b"
    r"|^\W*follow\b[^.]{0,80}\bon\s+(?:twitter|x|facebook|instagram|linkedin|youtube|tiktok|bluesky|threads)\b",
    re.IGNORECASE,
)


# --- Blocks: headings, paragraphs and lists ------------------------------------------------------------------------

_BULLET = re.compile(r"^\s*(?P<marker>[-*+•·–▪◦‣]|\d{1,3}[.)])\s+(?P<text>\S.*)$")
_ATX_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(?P<text>.*?)(?:\s+#+)?\s*$")
_SETEXT_UNDERLINE = re.compile(r"^\s{0,3}(?:=+|-+)\s*$")
_BLOCKQUOTE = re.compile(r"^\s{0,3}(?:>\s?)+")
_REFERENCES_HEADING = re.compile(  # "References", "Sources", "Notes and references", "Sources & further reading"
    r"(?:(?:notes|selected|key)\s+(?:and\s+)?)?(?:references?|sources?|bibliography|citations|works cited|"
    r"literature cited|reference list|further reading)(?:\s+(?:and|&)\s+[\w ]{1,30})?",
    re.IGNORECASE,
)


# A label standing before the text it names: "Summary", "**Key takeaways:**", "Bottom line:".
_LABEL = re.compile(
    r"^\s*(?:\*\*|__)?\s*(?:summary|in summary|key (?:takeaways?|points|facts|messages)|takeaways?|"
    r"(?:the )?bottom line|at a glance|highlights|tl;?dr)\s*(?::\s*(?:\*\*|__)?|(?:\*\*|__)\s*:?)?\s*(?=\S|$)",
    re.IGNORECASE,
)


@dataclass
class _Heading:
    text: str
    explicit: bool = False  # a Markdown heading, not a guessed plain-text one
    references: bool = False  # what follows is the reference list
    question: bool = False  # "Who should try which drug?": a heading only if text follows
    guessed: bool = False  # a lone short line taken for a heading (after a lead-in: its list, run together)


@dataclass
class _Paragraph:
    lines: list[str]


@dataclass
class _List:
    items: list[tuple[str, str]]  # (marker as written, item text)


_Element: TypeAlias = _Heading | _Paragraph | _List


def _heading_text(line: str) -> str:
    return line.strip().strip("*_").strip()


def _is_references_heading(line: str) -> bool:
    return _REFERENCES_HEADING.fullmatch(_heading_text(line).rstrip(":").strip()) is not None


def _looks_like_heading(line: str, first: bool = False) -> bool:
    """A plain-text heading: short, no sentence punctuation, not a bullet or a citation.

    A short question standing alone ("Who should try which drug?") is a sub-heading;
    the first line of a text may be long (a journal title with a colon in it).
    """
    text = line.strip()
    if not text or text[0] in "([\\" or _BULLET.match(line) or not any(c.isalpha() for c in text):
        return False
    words = len(text.split())
    if text.rstrip("*_ ").endswith("?"):
        return 3 <= words <= 12 and text.lstrip("*_“\"'")[:1].isupper() and text.count("?") == 1 and ". " not in text
    if _has_terminal_punctuation(text):
        return False
    return words <= 12 or (first and words <= 40 and ". " not in text)


def _tokenise(text: str, markdown: bool) -> list[_Element]:
    """Split the text into headings, paragraphs and lists (blank lines separate blocks)."""
    elements: list[_Element] = []
    block: list[str] = []

    def flush() -> None:
        lines = _drop_boilerplate(block, markdown)
        label = _LABEL.match(lines[0]) if lines else None
        if label and not lines[0][label.end() :].strip():
            elements.append(_Heading(_heading_text(lines[0]).rstrip(":").strip()))  # "Summary", "Key takeaways:"
            lines = lines[1:]
        elif label:
            lines[0] = lines[0][label.end() :].strip()  # "**Summary:** The text…" keeps the text
        if (
            len(lines) == 1
            and _looks_like_heading(lines[0], first=not elements)
            and not _is_references_heading(lines[0])
        ):
            question = lines[0].rstrip("*_ ").endswith("?")
            elements.append(_Heading(_heading_text(lines[0]), question=question, guessed=not question))
        elif lines:
            elements.extend(_split_block(lines))
        block.clear()

    for raw in text.splitlines():
        line = _BLOCKQUOTE.sub("", raw).rstrip() if markdown else raw.rstrip()
        if not line.strip():
            flush()
            continue
        if markdown:
            atx = _ATX_HEADING.match(line)
            setext = _SETEXT_UNDERLINE.match(line) and block and not _BULLET.match(block[-1])
            if atx or setext:
                heading = _heading_text(atx["text"] if atx else block.pop())
                flush()
                if heading:
                    elements.append(_Heading(heading, explicit=True, references=_is_references_heading(heading)))
                continue
        if not re.search(r"\w", line):  # a rule such as "***" or "———" ends the block
            flush()
        else:
            block.append(line)
    flush()
    elements = _join_loose_lists(elements)
    # A question is a sub-heading only when text follows it; a question ending the article is a claim.
    for i, element in enumerate(elements):
        if isinstance(element, _Heading) and element.question:
            after = elements[i + 1] if i + 1 < len(elements) else None
            if after is None or isinstance(after, _Heading):
                elements[i] = _Paragraph([element.text])
    return elements


def _drop_boilerplate(block: list[str], markdown: bool) -> list[str]:
    kept: list[str] = []
    for i, line in enumerate(block):
        next_line = block[i + 1].strip() if i + 1 < len(block) else ""
        # "… many people\nread more books." is one wrapped sentence, not a "Read more" link.
        if next_line[:1].islower() or not (_is_boilerplate(line) or _is_furniture_line(line, markdown)):
            kept.append(line)
    return kept


def _split_block(block: list[str]) -> list[_Element]:
    """One blank-line-separated block -> paragraphs and lists, in order."""
    out: list[_Element] = []
    paragraph: list[str] = []
    items: list[tuple[str, str]] = []
    for line in _mark_unmarked_items(_unflatten_lead_in_lines(block)):
        bullet = _BULLET.match(line)
        if bullet:
            if paragraph:
                out.append(_Paragraph(paragraph))
                paragraph = []
            items.append((bullet["marker"], bullet["text"].strip()))
        elif items and line[:1].isspace():  # an indented line continues the list item
            marker, item = items[-1]
            items[-1] = (marker, f"{item} {line.strip()}")
        elif _is_references_heading(line):  # "References:" directly above its list
            out.extend([_Paragraph(paragraph)] if paragraph else [])
            out.extend([_List(items)] if items else [])
            paragraph, items = [], []
            out.append(_Heading(_heading_text(line).rstrip(":"), references=True))
        else:
            if items:
                out.append(_List(items))
                items = []
            paragraph.append(line.strip())
    out.extend([_Paragraph(paragraph)] if paragraph else [])
    out.extend([_List(items)] if items else [])
    return out


# --- Lists ---------------------------------------------------------------------------------------------------------
#
# The rule, whatever shape a list has on the page:
# 1. A lead-in ending in ':' and the list it introduces are one claim ("Benefits include:\n- sleep\n- mood"):
#    the items complete the lead-in's sentence, so neither reads on its own, and a reviewer approves the
#    statement as a whole. Its list is the very next element: tight or loose (blank lines between items),
#    flattened onto one line ("...: 1. Sleep. 2. Eat. 3. Walk.", "• tea • coffee"), or items that lost
#    their markers (the next lines or paragraph, with no sentence ending).
# 2. Without a lead-in, a list of mostly bare nouns ("- tea", "- coffee", "- milk and dairy") is one claim:
#    "coffee" is no claim.
# 3. Any other list without a lead-in, statements ("- Sleep helps memory.") or clauses without a full stop
#    ("- nap during the day"), gives one claim per item (per sentence of an item), in the section of the
#    heading above it: that heading is the items' context, and the review page shows it.

# "1. Sleep well. 2. Eat well.": a number and a word (not "1. 5 mg"), the next number after a space.
_ENUMERATED_FIRST = re.compile(r"1(?P<delimiter>[.)])\s+(?=[^\W\d_]|[“‘\"'*_(\[])")
_ITEM_START = re.compile(r"\s+(?=[^\W\d_]|[“‘\"'*_(\[])")
# A lead-in whose list was run onto its own line: "Three habits help: 1. Sleep well. 2. Eat well."
_LEAD_IN_THEN_ONE = re.compile(r":\s+(?=1[.)]\s)")
_CLOSERS = "”’\"')]*_ "
_GLYPHS = "•·▪◦‣"  # bullet characters that never stand for a dash inside a sentence
_BARE_ADDRESS = re.compile(r"[<(]?(?:https?://|www\.)\S+")


# How far the next number of a flattened list may be: far enough for an item of a few sentences, and
# a bound, so a 2 MB line with many "…: 1. " in it costs linear time, not quadratic.
_MAX_ITEM_CHARS = 2000


def _enumerated(text: str, pos: int = 0) -> list[str] | None:
    """'1. Sleep well. 2. Eat well. 3. Walk.' -> the items; None unless it counts 1, 2, ... from `pos`."""
    first = _ENUMERATED_FIRST.match(text, pos)
    if first is None:
        return None
    delimiter = first["delimiter"]
    items: list[str] = []
    start, number = first.end(), 2
    while (marker := _item_marker(text, f"{number}{delimiter}", start)) is not None:
        items.append(text[start : marker[0]].strip())
        start, number = marker[1], number + 1
    if not items:
        return None  # one number is no list; and a failed try must not copy the rest of the text
    items.append(text[start:].strip())
    return items if all(items) else None


def _item_marker(text: str, marker: str, start: int) -> tuple[int, int] | None:
    """Where the item marked `marker` ("2.") begins, after `start`: (marker start, item start).

    str.find, not a regex search: on a line full of "…: 1. " that does not go on, the scan runs
    once per colon, and find is many times faster.
    """
    end = start + _MAX_ITEM_CHARS
    at = text.find(marker, start, end)
    while at != -1:
        item = _ITEM_START.match(text, at + len(marker))
        if text[at - 1].isspace() and item is not None:  # " 2. Eat", not "12. Eat" or "2.5"
            return at - 1, item.end()
        at = text.find(marker, at + 1, end)
    return None


def _unflatten_lead_in_lines(block: list[str]) -> list[str]:
    """'Three habits help: 1. Sleep. 2. Eat.' -> 'Three habits help:' and '1. Sleep. 2. Eat.' (a list line)."""
    out: list[str] = []
    for line in block:
        colon = None if ":" not in line or _BULLET.match(line) else _LEAD_IN_THEN_ONE.search(line)
        while colon is not None and _enumerated(line, colon.end()) is None:
            colon = _LEAD_IN_THEN_ONE.search(line, colon.end())
        if colon is None:
            out.append(line)
        else:
            out.extend([line[: colon.start() + 1], line[colon.end() :]])
    return out


def _is_bare_item(line: str) -> bool:
    """A short line that is no sentence and no clause: 'high fat with tea', not 'until the fever goes.'."""
    return not _BULLET.match(line) and not _has_terminal_punctuation(line) and 0 < len(line.split()) <= 8


def _mark_unmarked_items(block: list[str]) -> list[str]:
    """Lines after a lead-in line that are all bare items are its list, with the markers lost."""
    out = list(block)
    for i, line in enumerate(block):
        if not line.rstrip("*_ ").endswith(":"):
            continue
        # A line ending in ':' is no bare item, so these runs never overlap: linear in the block.
        end = i + 1
        while end < len(block) and _is_bare_item(block[end]):
            end += 1
        if end - i > 2 and (end == len(block) or _BULLET.match(block[end])):
            out[i + 1 : end] = [f"- {item.strip()}" for item in block[i + 1 : end]]
    return out


def _join_loose_lists(elements: list[_Element]) -> list[_Element]:
    """A loose list (items apart by blank lines) is one list; it comes as one _List per item."""
    joined: list[_Element] = []
    for element in elements:
        previous = joined[-1] if joined else None
        if isinstance(element, _List) and isinstance(previous, _List) and _same_kind(previous, element):
            previous.items.extend(element.items)  # in place: a loose list may have thousands of items
        else:
            joined.append(element)
    return joined


def _same_kind(first: _List, then: _List) -> bool:
    """Numbers follow numbers, a bullet its own kind: "-" then "1." are two lists."""
    a, b = first.items[-1][0], then.items[0][0]
    return (a[:-1].isdigit() and b[:-1].isdigit()) or a == b


def _items(items: list[tuple[str, str]]) -> list[str]:
    """Item texts, with a list that lost its line breaks ('1. a 2. b', '• a • b' as one item) taken apart."""
    out: list[str] = []
    for marker, item in items:
        if marker[:1] == "1" and len(marker) == 2:
            out.extend(_enumerated(f"{marker} {item}") or [item])
        elif marker in _GLYPHS:  # not "-": "- a well-known - if rare - effect" is one item
            out.extend(part.strip() for part in item.split(f" {marker} ") if part.strip())
        else:
            out.append(item)
    return out


def _is_bare_noun(item: str) -> bool:
    """'tea', 'milk and dairy', 'long-term pain': a few words and no sentence end.

    Without a parser, length is the test: advice items without a full stop ("nap during the
    day", "eat a big meal late at night") are longer, and each one can be judged alone.
    """
    return _NUMERIC.sub("", item).rstrip(_CLOSERS)[-1:] not in (".", "!", "?") and len(item.split()) <= 3


# --- Sentences -----------------------------------------------------------------------------------------------------

# A candidate end: . ! ? plus any closing quotes/brackets and [n] markers, then whitespace.
_SENTENCE_END = re.compile(rf"[.!?]+(?:[”’\"')\]]|\\?\[{_NUMBERS}\\?\])*(?=\s)")
_NEXT_CHAR = re.compile(r"\s+(\S)")
_NEXT_WORD = re.compile(r"\s+[“‘\"'*_(\[]*([^\W\d_][\w'’]*\.?)")
_BRACKET = re.compile(r"[()\[\]]")
_OPENERS = "“‘\"'*_"  # quotes, and Markdown emphasis opening a sentence
# Abbreviations after which the sentence always goes on: titles before a name
# ("Drs. Smith and Jones") and scholarly shorthand ("e.g.", "et al.", "vs.").
_NEVER_FINAL = frozenset(
    "dr drs mr mrs messrs ms mmes prof profs rev hon gov sen rep gen col lt capt sgt supt st mt "
    "al vs cf viz approx ca incl esp resp".split()
)
# Abbreviations that stand before a number: "Feb. 23, 2015", "on Dec. 1.", "Fig. 2", "No. 5", "p. 12".
_BEFORE_NUMBER = frozenset(
    "jan feb mar apr jun jul aug sep sept oct nov dec "
    "no nos fig figs vol vols p pp eq eqs ref refs sec ch art tab".split()
)
# After any other abbreviation ("U.S.", "Ph.D.", "Inc.", "etc.", an initial) a capitalised word may
# continue the sentence ("the U.S. Food and Drug Administration", "J. Smith") or start a new one
# ("... in the U.S. They ..."). Closed-class words are what a new sentence starts with, and names
# hardly ever are, so only these (and a title after a degree: "..., Ph.D. Dr. Lee ...") split.
_SENTENCE_OPENERS = frozenset(
    "the a an this that these those it its he she they we i you his her their our my your there here "
    "in on at for but and or so yet however if when while after before although though as because since "
    "during with without by from to of one some many most all both each no not such what which who how why "
    "where then also still now today yesterday earlier later instead meanwhile overall further furthermore "
    "moreover dr mr mrs ms prof".split()
)
# A time is followed by its zone or by a new sentence: "2 p.m. ET", "at 2 p.m. Reporters ...".
_TIMES = frozenset({"a.m", "p.m"})
_DOTTED = re.compile(r"(?:[a-z]{1,3}\.)+[a-z]{1,3}")  # e.g, i.e, u.s, ph.d, m.d, b.sc
_TOKEN_BEFORE = re.compile(r"[\w.]+$")


def _is_abbreviation(text: str, dot: int, end: int) -> bool:
    """Is the "." at `dot` an abbreviation's dot that does not end the sentence?"""
    if not text[dot - 1].isalpha():
        return False  # every abbreviation ends in a letter; "2.5." or "(1)." do not
    token_match = _TOKEN_BEFORE.search(text, max(0, dot - 12), dot)
    if token_match is None:
        return False
    token = token_match.group().lstrip(".")
    lower = token.lower()
    following = _NEXT_CHAR.match(text, end)
    next_char = following.group(1) if following else ""
    if lower in _NEVER_FINAL and not (len(token) > 1 and token.isupper()):  # "Ms. Lee", not "relapsing MS."
        return True
    if lower in _BEFORE_NUMBER and next_char.isdigit():
        return True
    ambiguous = _DOTTED.fullmatch(lower) or lower in _AMBIGUOUS or (len(token) == 1 and token.isupper())
    if not ambiguous:
        return False
    word_match = _NEXT_WORD.match(text, end)
    if word_match is None:
        return True  # "U.S. 2020" or "Ph.D. (2003)": not a new sentence in words
    word = word_match.group(1).rstrip(".")
    if lower in _TIMES:
        return word.isupper() and len(word) <= 4  # "ET", "GMT": the time goes on
    return word.casefold() not in _SENTENCE_OPENERS


# Short forms that end a name or a list as often as they sit inside a sentence.
_AMBIGUOUS = frozenset("jr sr inc ltd co corp bros etc".split())


def _matched_spans(text: str) -> list[tuple[int, int]]:
    """Outermost (...) and [...] pairs that close; a stray opener or closer pairs with nothing.

    A typo such as an unclosed "(" must not glue the rest of the paragraph into one claim,
    so only brackets that are actually closed (by their own kind) protect what is inside.
    """
    spans: list[tuple[int, int]] = []
    stack: list[tuple[str, int]] = []
    for match in _BRACKET.finditer(text):
        char, position = match.group(), match.start()
        if char in "([":
            stack.append((char, position))
            continue
        opener = "(" if char == ")" else "["
        depth = next((i for i in range(len(stack) - 1, -1, -1) if stack[i][0] == opener), None)
        if depth is None:
            continue  # a closer with no opener of its kind
        start = stack[depth][1]
        del stack[depth:]  # openers above it were never closed
        if not stack:
            spans.append((start, position))
    spans.sort()
    # An unclosed outer opener can leave nested pairs that were appended before it was dropped:
    # keep only the outermost ones.
    outer: list[tuple[int, int]] = []
    for span in spans:
        if outer and span[0] < outer[-1][1]:
            continue
        outer.append(span)
    return outer


def _is_parenthesised_sentence(text: str, start: int) -> bool:
    """'(The discovery brought a Nobel Prize in 2004.)': a full sentence in brackets."""
    match = _PAREN.match(text, start)
    if match is None:
        return False
    inner = match.group(1).strip().lstrip(_OPENERS)
    return bool(inner) and inner[0].isupper() and inner.rstrip("”’\"'*_ ")[-1:] in ".!?"


def _split_sentences(text: str) -> list[str]:
    """Split after . ! ? when the next sentence visibly starts; linear in len(text)."""
    if "." not in text and "!" not in text and "?" not in text:
        return [text.strip()] if text.strip() else []
    sentences: list[str] = []
    start = 0
    spans = _matched_spans(text) if "(" in text or "[" in text else []
    next_span = 0
    for end_match in _SENTENCE_END.finditer(text):
        end = end_match.end()
        while next_span < len(spans) and spans[next_span][1] < end:
            next_span += 1  # that pair closed before this candidate end
        if next_span < len(spans) and spans[next_span][0] < end_match.start():
            continue  # inside (...) or [...] that closes later
        following = _NEXT_CHAR.match(text, end)
        if following is None:
            break
        next_char = following.group(1)
        if next_char == "(":
            # "… brain. (Chen, 2001) Next …": the citation belongs to the sentence before it.
            cited = _PAREN.match(text, following.start(1))
            after = _NEXT_CHAR.match(text, cited.end()) if cited else None
            if cited and _paren_is_citation(cited.group(1)) and (after is None or _starts_sentence(after.group(1))):
                end = cited.end()
                next_char = after.group(1) if after else "A"
            elif _is_parenthesised_sentence(text, following.start(1)):
                next_char = "A"  # its own claim
        if not _starts_sentence(next_char):
            continue
        if (
            text[end_match.start()] == "."
            and end_match.group().count(".") == 1
            and _is_abbreviation(text, end_match.start(), end)
        ):
            continue
        sentences.append(text[start:end].strip())
        start = end
    tail = text[start:].strip()
    return [s for s in [*sentences, tail] if s]


def _starts_sentence(char: str) -> bool:
    return char.isupper() or char.isdigit() or char in _OPENERS


# --- Citations -----------------------------------------------------------------------------------------------------

_PAREN = re.compile(r"\(([^()]{1,400})\)")
_NUMERIC = re.compile(rf"\\?\[({_NUMBERS})\\?\]")
# "(1)", "(10, 11)", "(3-5)", "(3,13 )": Healthline-style numbered citations.
_NUMERIC_PAREN = re.compile(rf"\(\s*({_NUMBERS})\s*\)")
# Where that style is the article's: at the end of a clause, right before its punctuation.
_NUMERIC_PAREN_AT_END = re.compile(rf"\(\s*{_NUMBERS}\s*\)(?=\s*(?:[.,;:]|$))", re.MULTILINE)
# "…, 2001", "… 2001a, 2003", "…, 2001, p. 12" at the end of a citation; the authors come before it.
_YEARS_AT_END = re.compile(
    r"[,\s]\s*(?P<years>(?:19|20)\d{2}[a-z]?(?:\s*,\s*(?:19|20)\d{2}[a-z]?)*)"
    r"(?:\s*,\s*pp?\.?\s*\d+(?:\s*[-–]\s*\d+)?)?\s*$"
)
_CITE_PREFIX = re.compile(r"^(?:see also|see|e\.g\.,?|i\.e\.,?|cf\.|for example,?|reviewed in)\s+", re.IGNORECASE)
_PARTICLE_WORDS = (
    "van",
    "von",
    "de",
    "der",
    "den",
    "du",
    "da",
    "di",
    "le",
    "la",
    "del",
    "della",
    "dos",
    "das",
    "ten",
    "ter",
)
_PARTICLES = f"(?:{'|'.join(_PARTICLE_WORDS)})"
_SURNAME = rf"(?<![\w'’-])(?:{_PARTICLES}\s+){{0,2}}[A-ZÀ-ÖØ-Þ][\w'’-]*\w"
_NARRATIVE = re.compile(
    rf"(?P<authors>{_SURNAME}(?:\s+et\s+al\.?|\s+(?:&|and)\s+(?P<group>co-?workers|colleagues|associates)"
    rf"|(?:\s*,\s*{_SURNAME}){{0,5}},?\s+(?:&|and)\s+{_SURNAME})?)"
    r"\s*\((?P<year>(?:19|20)\d{2}[a-z]?)\)"
)
# "cases in England (2009)": after these a capitalised word is a place, unless the list knows the work.
_PLACE_PREPOSITIONS = frozenset("in across throughout within from to at near outside inside".split())
# Capitalised words that precede a year without being authors: "(In 2019)", "(March 2020)".
_NOT_AUTHORS = frozenset(
    "in since by from until before after published updated accessed circa the a an as during "
    "year spring summer autumn fall winter see figure table january february march april may "
    "june july august september october november december".split()
)
_CONNECTORS = frozenset({"et", "al", "and", "of", "for", "the", "on", "in", *_PARTICLE_WORDS})


def _looks_like_authors(authors: str) -> bool:
    tokens = [t for t in re.split(r"[\s,&.]+", authors) if t]
    if not tokens or len(tokens) > 10 or tokens[0].casefold() in _NOT_AUTHORS:
        return False
    return all(t[0].isupper() or t.casefold() in _CONNECTORS for t in tokens) and tokens[0][0].isupper()


def _author_year_citations(part: str) -> list[tuple[str, str, str]]:
    """'Chen et al., 2001' -> [(label, authors, year-as-written)]; [] if not a citation."""
    part = _CITE_PREFIX.sub("", part.strip())
    match = _YEARS_AT_END.search(part)
    if match is None:
        return []
    authors = part[: match.start()].strip().rstrip(",").strip()
    if not _looks_like_authors(authors):
        return []
    return [(part, authors, year.strip()) for year in match["years"].split(",")]


def _is_scale(text: str) -> bool:
    """'never (0), hardly ever (1), often (2)': numbered answer options, not citations."""
    numbers = [int(m.group(1)) for m in re.finditer(r"\(\s*(\d{1,3})\s*\)", text)]
    if 0 in numbers:
        return True
    runs = sum(1 for a, b in itertools.pairwise(numbers) if b == a + 1)
    return runs >= 2


def _paren_is_citation(content: str) -> bool:
    return all(_author_year_citations(part) for part in content.split(";"))


# "doi:10.1001/jama.2016.14719", "https://doi.org/10.…", "Available at: https://…" on a line of its own.
_IDENTIFIER_LINE = re.compile(
    r"^\W*(?:(?:doi\s*:?\s*|https?://(?:dx\.)?doi\.org/)10\.\d{4,9}/\S+"
    r"|available\s+(?:at|from|online)\b\s*:?\s*(?:https?://|www\.)\S+)\W*$",
    re.IGNORECASE,
)


def _identifier_citation(line: str) -> list[ParsedCitation]:
    if not _IDENTIFIER_LINE.match(line):
        return []
    return [_parse_reference(line.strip(), line.strip()[:500])]


def _is_citation_only(line: str) -> bool:
    """A line such as "(Chen et al., 2001; Duman & Monteggia, 2006)", "[3]" or "doi:10.1/x"."""
    stripped = line.strip()
    if _IDENTIFIER_LINE.match(stripped):
        return True
    if not stripped or stripped[0] not in "([\\":
        return False
    rest = _NUMERIC.sub("", stripped)
    rest = _PAREN.sub(lambda m: "" if _paren_is_citation(m.group(1)) else m.group(), rest)
    return rest.strip(" .,;") == ""


_INITIALS = re.compile(r"(?:[A-ZÀ-ÖØ-Þ]\.?[\s-]*){1,4}")  # "M.", "S. M.", "GM", "J.-P."


def _norm_authors(authors: str) -> str:
    """The author part of a work key, in one canonical short form.

    "Chen B, Dowlatshahi D, MacQueen GM" and "Chen et al." both give "chen et al.";
    "Duman, R. S., & Monteggia, L. M." and "Duman and Monteggia" both give
    "duman & monteggia". So an in-text citation and a reference-list entry for
    the same work get the same key, across articles and citation styles.
    """
    text, et_al = re.subn(r"\bet\.?\s+al\b\.?", "", " ".join(authors.translate(_STRAIGHTEN).split()))
    surnames: list[str] = []
    for part in re.split(r"[,;]|\s&\s|\s+and\s+", text):
        words = part.split()
        if not words or (surnames and _INITIALS.fullmatch(part.strip())):
            continue  # empty, or the initials after "Surname," in APA/Harvard
        while len(words) > 1 and _INITIALS.fullmatch(words[-1]):
            words.pop()  # "MacQueen GM" -> "MacQueen"
        surnames.append(" ".join(words))
    if not surnames:
        return " ".join(text.casefold().split())
    if et_al or len(surnames) >= 3:
        return f"{surnames[0]} et al.".casefold()
    return " & ".join(surnames).casefold()


def _year(year: str) -> int | None:
    digits = year[:4]
    return int(digits) if digits.isdigit() else None


def first_surname(authors: str) -> str:
    match = re.search(r"[^\W\d_][\w'’-]*", authors)
    return match.group().translate(_STRAIGHTEN).casefold() if match else ""


def _surnames(authors: str) -> tuple[list[str], bool]:
    """The surnames in an author list as written, and whether it ends in "et al."."""
    text, et_al = re.subn(r"\bet\.?\s+al\b\.?", "", " ".join(authors.split()))
    surnames: list[str] = []
    for part in re.split(r"[,;]|\s&\s|\s+and\s+", text):
        words = part.split()
        if not words or (surnames and _INITIALS.fullmatch(part.strip())):
            continue
        while len(words) > 1 and _INITIALS.fullmatch(words[-1]):
            words.pop()
        # More than a particle and a name is a parsing leftover ("Locker D: Measuring oral health"):
        # its first word is the surname.
        surnames.append(" ".join(words) if len(words) <= 3 else words[0])
    return [name.rstrip(":.") for name in surnames if name.rstrip(":.")], bool(et_al)


def bibliographic_label(authors: str, year: int | None) -> str:
    """How a work is named wherever it is cited: "Herrett et al., 2021", "Smith & Jones, 2019", "Smith, 2019".

    "" when the authors or the year are unknown (a bare "[7]" names no work).
    """
    surnames, et_al = _surnames(authors)
    if not surnames or year is None:
        return ""
    if et_al or len(surnames) >= 3:
        names = f"{surnames[0]} et al."
    else:
        names = " & ".join(surnames)
    return f"{names}, {year}"


def _expand_numbers(spec: str) -> list[int]:
    numbers: list[int] = []
    for piece in spec.split(","):
        bounds = [int(n) for n in re.split(r"\s*[–—-]\s*", piece.strip())]
        low, high = bounds[0], bounds[-1]
        # A range expands; a silly one ("[1-999]") only yields its ends.
        numbers.extend(range(low, high + 1) if 0 <= high - low <= 50 else [low, high])
    return numbers


@dataclass
class _References:
    """The article's reference list, for resolving [n] and enriching 'Author, Year'."""

    by_number: dict[int, ParsedCitation] = field(default_factory=dict)
    by_author_year: dict[tuple[str, int | None], list[ParsedCitation]] = field(default_factory=dict)
    cache: dict[tuple[str, str, str], ParsedCitation] = field(default_factory=dict)

    def add(self, number: int, text: str) -> None:
        citation = _parse_reference(text, f"[{number}]")
        self.by_number[number] = citation
        self.by_author_year.setdefault((first_surname(citation.authors), citation.year), []).append(citation)

    def numbered(self, number: int, label: str = "") -> ParsedCitation:
        return self.by_number.get(number) or ParsedCitation(
            label=label or f"[{number}]", authors="", year=None, key=f"unresolved-ref-{number}", resolved=False
        )

    def author_year(self, label: str, authors: str, year: str) -> ParsedCitation:
        cache_key = (label, authors, year)
        if cache_key not in self.cache:  # long articles cite the same few works over and over
            self.cache[cache_key] = self._author_year(label, authors, year)
        return self.cache[cache_key]

    def _author_year(self, label: str, authors: str, year: str) -> ParsedCitation:
        citation = ParsedCitation(
            label=label[:500], authors=authors[:500], year=_year(year), key=f"{_norm_authors(authors)}|{year}"[:500]
        )
        entries = self.by_author_year.get((first_surname(authors), _year(year)), [])
        if not entries and self.by_number:  # the article lists its sources, and not this one
            return replace(citation, resolved=False)
        if len(entries) != 1:
            return citation
        entry = entries[0]  # the list entry for this very work: it knows the DOI, title, ...
        return ParsedCitation(
            citation.label, citation.authors, citation.year, entry.key, entry.title, entry.doi, entry.pmid, entry.url
        )

    @property
    def highest(self) -> int:
        """The largest number a numbered citation may have: the list's, or any without a list."""
        return max(self.by_number) if self.by_number else 999

    def cite(self, text: str, numeric_parens: bool = False) -> list[ParsedCitation]:
        """Every citation in `text`, in the order written; "(n)" only where the article cites so."""
        found: list[tuple[int, ParsedCitation]] = []
        if "(" not in text and "[" not in text:
            return []
        for match in _NUMERIC.finditer(text):
            found.extend((match.start(), self.numbered(n)) for n in _expand_numbers(match.group(1)))
        for match in _PAREN.finditer(text):
            for part in match.group(1).split(";"):
                found.extend((match.start(), self.author_year(*cite)) for cite in _author_year_citations(part))
        for match in _NARRATIVE.finditer(text):  # "Smith et al. (2019)", "Schriks and co-workers (2007)"
            label = match.group()
            authors = match["authors"]
            if match["group"]:  # "and co-workers" is how prose says "et al."
                authors = authors[: match.start("group") - match.start("authors")].strip()
                authors = re.sub(r"\s+(?:&|and)$", "", authors) + " et al."
            if not _looks_like_authors(authors):
                continue
            citation = self.author_year(label, authors, match["year"])
            before_words = text[max(0, match.start() - 12) : match.start()].split()
            before = before_words[-1].casefold() if before_words else ""
            listed = self.by_author_year.get((first_surname(authors), _year(match["year"])))
            if before in _PLACE_PREPOSITIONS and not listed and " " not in match["authors"]:
                continue  # a place and a date, not a work
            found.append((match.start(), citation))
        if numeric_parens and "(" in text:
            matches = list(_NUMERIC_PAREN.finditer(text))
            scale = bool(matches) and _is_scale(text)
            for match in [] if scale else matches:
                numbers = _expand_numbers(match.group(1))
                if all(1 <= n <= self.highest for n in numbers):
                    found.extend((match.start(), self.numbered(n, f"({n})")) for n in numbers)
        found.sort(key=lambda pair: pair[0])
        return [citation for _, citation in found]


_DOI = re.compile(r"\b10\.\d{4,9}/[^\s\"<>]+")
_PMID = re.compile(r"\bPMID:?\s*(\d{1,20})", re.IGNORECASE)
_URL = re.compile(r"https?://[^\s<>\"]+")
_DOI_OR_URL_OR_PMID = re.compile(rf"(?:doi:\s*)?{_DOI.pattern}|{_URL.pattern}|{_PMID.pattern}", re.IGNORECASE)
_REF_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2}(?:[a-z](?![a-z]))?)(?!\d)")
_PUBLICATION_YEAR = re.compile(
    r"(?<![\d(])((?:19|20)\d{2})(?=\s*(?:[;:(]|[.,]?\s*$|\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b))",
    re.IGNORECASE,
)
_APA_YEAR = re.compile(r"\(\s*((?:19|20)\d{2}[a-z]?)\s*\)")
# The title runs to the next full stop; a final "?" or "!" belongs to it.
_TITLE = re.compile(r"[\s.,:;]*(.+?(?:[?!](?=\s|$)|(?=\.(?:\s|$))|$))")
_ENTRY_NUMBER = re.compile(r"^\\?\[(\d{1,3})\\?\]\s*|^(\d{1,3})[.)]\s+")


def _trim_identifier(raw: str) -> str:
    """Drop trailing punctuation and unbalanced closing brackets: 'doi:10.1/x(01)2).' -> '10.1/x(01)2'."""
    value = raw.replace("\\", "").rstrip(".,;:")
    while value and value[-1] in ")]" and value.count("(") + value.count("[") < value.count(")") + value.count("]"):
        value = value[:-1].rstrip(".,;:")
    return value


def _parse_reference(text: str, label: str) -> ParsedCitation:
    """Best effort over the common styles (Vancouver, APA, Harvard)."""
    doi_match, pmid_match, url_match = _DOI.search(text), _PMID.search(text), _URL.search(text)
    doi = _trim_identifier(doi_match.group()) if doi_match else ""
    pmid = pmid_match.group(1) if pmid_match else ""
    url = _trim_identifier(url_match.group()) if url_match else ""
    rest = _DOI_OR_URL_OR_PMID.sub(" ", text)  # identifiers are full of digits that look like years
    apa = _APA_YEAR.search(rest)
    # A title can hold a year ("… in the UK in 2010. Br J Cancer 2011;…"): the publication year is
    # the one a journal citation puts before ";", ":", "(", a month or the end of the entry.
    year_match = apa or _PUBLICATION_YEAR.search(rest) or _REF_YEAR.search(rest)
    year = year_match.group(1) if year_match else ""
    period = re.search(r"\.\s", rest)
    if apa:  # "Duman, R. S., & Monteggia, L. M. (2006). Title. Journal…"
        authors, after = rest[: apa.start()], rest[apa.end() :]
    else:  # "Chen B, Young LT. Title. Journal. 2001;…" or "Smith J 2019 Title"
        cuts = [m.start() for m in (period, year_match) if m is not None]
        cut = min(cuts) if cuts else 0
        authors, after = rest[:cut], rest[cut:]
    authors = authors.strip(" ,;:(")
    authors += "." if authors.endswith(" et al") else ""
    if len(authors) > 500 or not any(c.isalpha() for c in authors):
        authors = ""
    title_match = _TITLE.match(after)
    title = title_match.group(1).strip() if title_match and any(c.isalpha() for c in title_match.group(1)) else ""
    if doi:
        key = f"doi:{doi.lower()}"
    elif pmid:
        key = f"pmid:{pmid}"
    elif authors and year:
        key = f"{_norm_authors(authors)}|{year}"
    else:
        key = normalise_claim_text(text)
    return ParsedCitation(
        label=label,
        authors=authors,
        year=_year(year),
        key=key[:500],
        title=title[:1000],
        doi=doi[:200],
        pmid=pmid,
        url=url if len(url) <= 1000 else "",
    )


# "Source: …", "Article reference: …", "Journal reference: …": the study a news story or release reports.
_SOURCE_LINE = re.compile(
    r"^\W*(?:sources?|(?:article|journal|study|paper)\s+(?:reference|citation)|references?|citation|"
    r"original\s+(?:article|study|paper|research))\s*:\s*(?P<entry>\S.*)$",
    re.IGNORECASE | re.DOTALL,
)
# "The research was published … in the journal Cancer": the sentence a lone source line belongs to.
_PUBLISHED_IN = re.compile(r"\bpublish(?:ed|es)\b.*\bjournal\b|\bjournal\b.*\bpublish(?:ed|es)\b", re.IGNORECASE)


def _looks_like_reference(line: str) -> bool:
    return bool(re.search(r"\d|https?://|www\.", line))


# --- Assembly ------------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Draft:
    """A claim being built; citations are resolved once the reference list is known."""

    text: str
    citation_lines: list[str] = field(default_factory=list)  # standalone "(Author, Year)" lines


def _join_lines(lines: list[str]) -> str:
    """Join a paragraph's lines with a space, but keep the break after a line ending in ':'."""
    parts = [lines[0]]
    for previous, line in itertools.pairwise(lines):
        parts.append(("\n" if previous.endswith(":") else " ") + line)
    return "".join(parts)


class _Assembler:
    def __init__(self, title: str | None) -> None:
        self.title = (title or "").strip()
        self.title_key = _line_key(self.title)
        self.title_open = title is None  # the first heading may still become the title
        self.sections: list[tuple[str, list[_Draft]]] = [("", [])]
        self.references = _References()
        self.entry_order: list[int] = []
        self.in_references = False
        self.last: _Draft | None = None  # where a standalone citation line attaches
        self.lead_in: _Draft | None = None  # a claim ending in ':' waiting for its list
        self.sources: list[ParsedCitation] = []  # "Source: …" / "Article reference: …" lines

    def is_title(self, line: str) -> bool:
        # "Does it work?" as the title and "Does it work." later are a title and a claim.
        ends = line.rstrip("*_ ")[-1:]
        return bool(self.title_key) and _line_key(line) == self.title_key and (ends not in ".!" or not ends)

    def emit(self, text: str) -> _Draft:
        draft = _Draft(text)
        self.sections[-1][1].append(draft)
        self.last, self.title_open = draft, False
        return draft

    def add_entry(self, number: int | None, text: str) -> None:
        number = number if number is not None else (self.entry_order[-1] + 1 if self.entry_order else 1)
        if text.strip() and number not in self.references.by_number:
            self.references.add(number, text.strip())
            self.entry_order.append(number)

    def heading(self, heading: _Heading) -> None:
        if heading.references:
            self.in_references = True
        elif self.in_references and not heading.explicit and _looks_like_reference(heading.text):
            self.add_entry(None, heading.text)  # e.g. a bare URL on its own line
        elif self.title_open and not self.title:
            self.title, self.title_key, self.title_open = heading.text, _line_key(heading.text), False
        elif not self.is_title(heading.text):  # repeated titles are dropped
            self.in_references = False
            self.sections.append((heading.text, []))

    def paragraph(self, lines: list[str]) -> None:
        if self.in_references:
            for line in lines:
                number = _ENTRY_NUMBER.match(line)
                if number:
                    self.add_entry(int(number.group(1) or number.group(2)), line[number.end() :])
                elif _looks_like_reference(line):  # not e.g. a disclaimer after the list
                    self.add_entry(None, line)
            return
        if lines and _NOTICE.match(lines[0]):
            return  # a notice to editors or the press, not part of the article
        source = _SOURCE_LINE.match(" ".join(lines)) if lines else None
        if (
            source
            and _looks_like_reference(source["entry"])
            and re.search(r"(?:19|20)\d{2}|10\.\d{4}", source["entry"])
        ):
            # "Source: Dunbar RIM, … 2016." names the study the article reports: a reference, not a claim.
            self.sources.append(_parse_reference(source["entry"].strip(), source["entry"].strip()[:500]))
            return
        chunk: list[str] = []  # consecutive text lines, joined into sentences
        ends_with_text = False
        for line in lines:
            if self.is_title(line):
                continue
            if not _is_citation_only(line):
                chunk.append(line)
                ends_with_text = True
                continue
            self.emit_sentences(chunk)
            chunk, ends_with_text = [], False
            if self.last is not None:  # a standalone citation line cites the claim before it
                self.last.citation_lines.append(line)
        self.emit_sentences(chunk)
        if ends_with_text and self.last is not None and self.last.text.rstrip("*_ ").endswith(":"):
            self.lead_in = self.last

    def emit_sentences(self, lines: list[str]) -> None:
        for sentence in _split_sentences(_join_lines(lines)) if lines else []:
            if not _FURNITURE_SENTENCE.match(sentence):
                self.emit(sentence)

    def list_block(self, items: list[tuple[str, str]], lead_in: _Draft | None) -> None:
        """The three list rules of the "Lists" section above, in its order."""
        if self.in_references:
            for marker, item in items:
                self.add_entry(int(marker[:-1]) if marker[:-1].isdigit() else None, item)
            return
        texts = _items(items)
        if lead_in is not None:
            lead_in.text += "".join(f"\n- {item}" for item in texts)
            self.last = lead_in
        elif sum(map(_is_bare_noun, texts)) * 2 > len(texts):
            self.emit("\n".join(f"- {item}" for item in texts))
        else:
            for item in texts:
                self.emit_sentences([item])

    def run_together_list(self, element: _Heading | _Paragraph, lead_in: _Draft) -> bool:
        """After a lead-in, a line or paragraph with no sentence ending is its list, run together."""
        if isinstance(element, _Heading):
            if not element.guessed or self.in_references:
                return False
            text = element.text
        else:
            lines = element.lines
            if self.in_references or any(_is_citation_only(line) for line in lines):
                return False
            if len(lines) >= 2 and all(_is_bare_item(line) for line in lines):  # one item a line, no markers
                lead_in.text += "".join(f"\n- {line.strip()}" for line in lines)
                self.last = lead_in
                return True
            text = " ".join(line.strip() for line in lines)
            if _has_terminal_punctuation(text) or _NOTICE.match(text) or _SOURCE_LINE.match(text):
                return False
        if _BARE_ADDRESS.fullmatch(text):
            return False  # "... can be accessed here:" and a web address: where it is, not what it says
        lead_in.text += f"\n{text}"
        self.last = lead_in
        return True

    def feed(self, element: _Element) -> None:
        lead_in, self.lead_in = self.lead_in, None  # only the very next element may be its list
        if isinstance(element, _List):
            self.list_block(element.items, lead_in)
        elif lead_in is not None and self.run_together_list(element, lead_in):
            pass
        elif isinstance(element, _Heading):
            self.heading(element)
        else:
            self.paragraph(element.lines)

    def numeric_paren_style(self) -> bool:
        """Does the article cite with "(n)"? With a numbered list any in range counts; without one,
        only if it does so again and again at the ends of clauses (one "(2)" is just a number)."""
        if self.references.by_number:
            return True
        drafts = (draft for _, section in self.sections for draft in section)
        uses = sum(len(_NUMERIC_PAREN_AT_END.findall(draft.text)) for draft in drafts if "(" in draft.text)
        return uses >= 3

    def result(self) -> ParsedArticle:
        sections: list[ParsedSection] = []
        cited: dict[str, ParsedCitation] = {}
        numeric_parens = self.numeric_paren_style()
        for heading, drafts in self.sections:
            claims = []
            for draft in drafts:
                found = self.references.cite(draft.text, numeric_parens)
                if len(self.sources) == 1 and _PUBLISHED_IN.search(draft.text):
                    found.extend(self.sources)
                for line in draft.citation_lines:
                    found.extend(_identifier_citation(line) or self.references.cite(line, numeric_parens))
                unique: dict[str, ParsedCitation] = {}
                for citation in found:  # one citation per work; the first mention wins
                    unique.setdefault(citation.key, citation)
                citations = tuple(unique.values())
                for citation in citations:
                    cited.setdefault(citation.key, citation)
                claims.append(ParsedClaim(text=draft.text, citations=citations))
            if claims:
                sections.append(ParsedSection(heading=heading, claims=tuple(claims)))
        if not sections:
            raise ImportRejected(
                "No claims found: nothing is left after removing the title, headings and navigation lines."
            )
        # Listed but never cited works are still sources of the article: keep them, after the cited ones.
        for source in self.sources:
            cited.setdefault(source.key, source)
        for number in self.entry_order:
            entry = self.references.by_number[number]
            cited.setdefault(entry.key, entry)
        return ParsedArticle(title=self.title, sections=tuple(sections), references=tuple(cited.values()))


# --- Entry point ---------------------------------------------------------------------------------------------------

# trafilatura escapes brackets; "\[3\]" is a citation marker, not Markdown syntax we need.
_ESCAPED_CITE = re.compile(rf"\\\[({_NUMBERS})\\\](?!\()")


def _html_to_markdown(html: str) -> tuple[str, str | None]:
    import trafilatura  # slow to import, and only the HTML path needs it

    extracted = trafilatura.extract(
        html,
        output_format="markdown",
        include_formatting=True,
        include_links=False,
        include_comments=False,
        include_tables=False,
        favor_precision=True,
    )
    if not isinstance(extracted, str) or not extracted.strip():
        raise ImportRejected("No article text found in the HTML page.")
    title = _html_title(html)
    if title is None:
        metadata = trafilatura.extract_metadata(html)
        page_title = getattr(metadata, "title", None)
        title = page_title.strip() if isinstance(page_title, str) and page_title.strip() else None
    return _ESCAPED_CITE.sub(r"[\1]", extracted), title


# "Title | Site", "Title - Site", "Title — Section | Site": the site's part is a few words at the end.
_TITLE_SEPARATOR = re.compile(r"\s+[|–—-]\s+|\s*\|\s*")


def _strip_site_suffix(title: str) -> str:
    parts = [part.strip() for part in _TITLE_SEPARATOR.split(" ".join(title.split()))]
    while len(parts) > 1 and len(parts[-1].split()) <= 4 and len(parts[0].split()) > 1:
        parts.pop()
    return " - ".join(part for part in parts if part)


_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


def _html_title(html: str) -> str | None:
    """The headline: og:title, else <title> without the site's name, else the first <h1>.

    trafilatura's metadata prefers an <h1>, which on some pages is a sidebar's
    ("Information and Resources"); og:title and <title> are what the publisher
    calls the page, so they come first.
    """
    import lxml.html  # a trafilatura dependency; parsing (not pattern-matching) the page

    # lxml refuses a str that still declares its encoding ("<?xml … encoding=…?>"); the text is decoded already.
    html = _XML_DECLARATION.sub("", html, count=1)
    try:
        document = lxml.html.document_fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return None
    candidates = [
        *document.xpath("//meta[@property='og:title' or @name='og:title']/@content"),
        *document.xpath("//meta[@name='twitter:title']/@content"),
        *(element.text_content() for element in document.xpath("//title")),
    ]
    headings = [" ".join(h.text_content().split()) for h in document.xpath("//h1")]
    site_names = {
        " ".join(str(name).split()).casefold() for name in document.xpath("//meta[@property='og:site_name']/@content")
    }
    for raw in candidates:
        title = _strip_site_suffix(str(raw))
        # A <title> that is only the site's name ("Quanta Magazine") is no headline.
        if title and title.casefold() not in site_names and (len(title.split()) > 2 or title in headings):
            return title
    return next((h for h in headings if h), None)


def parsed_size(text: str, fmt: str) -> int:
    """Bytes of the text the parser splits: for a saved web page its extracted article, not its markup.

    A page of a few KB of article in 500 KB of scripts and menus costs what its article costs.
    A page with no article text, or one over the size limit, counts whole: the import refuses it.
    """
    size = len(text.encode("utf-8", "surrogatepass"))
    if fmt != "html" or size > MAX_BYTES or not text.strip():
        return size
    try:
        return len(_html_to_markdown(text)[0].encode("utf-8", "surrogatepass"))
    except ImportRejected:
        return size


def parse_article(text: str, fmt: str = "text", title: str | None = None) -> ParsedArticle:
    if fmt not in FORMATS:
        raise ImportRejected(f"Unknown format {fmt!r}: expected one of {', '.join(FORMATS)}.")
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_BYTES:
        raise ImportRejected(f"Text is larger than 2 MB ({size} bytes).")
    if not text.strip():
        raise ImportRejected("The article is empty.")
    if fmt == "html":
        markdown, page_title = _html_to_markdown(text)
        try:
            return _parse(markdown, True, title if title is not None else page_title)
        except ImportRejected:  # trafilatura kept only scraps such as a menu
            raise ImportRejected("No article text found in the HTML page.") from None
    return _parse(text, fmt == "markdown", title)


def _parse(text: str, markdown: bool, title: str | None) -> ParsedArticle:
    assembler = _Assembler(title)
    for element in _tokenise(text, markdown):
        assembler.feed(element)
    return assembler.result()
