"""The one place Markdown becomes HTML. Everything it returns is sanitised."""

import functools
import re
import threading

import markdown as md
import nh3

# Python-Markdown only starts a list after a blank line; claims keep a lead-in
# and its list on adjacent lines ("…critical for:\n- a\n- b"), as CommonMark allows.
_LIST_AFTER_TEXT = re.compile(r"(?m)^(?!\s*(?:[-*+]|\d+[.)])\s)(.+)\n(?=\s*(?:[-*+]|\d+[.)])\s)")

ALLOWED_TAGS = {
    "p",
    "br",
    "em",
    "strong",
    "ul",
    "ol",
    "li",
    "blockquote",
    "code",
    "pre",
    "a",
    "h3",
    "h4",
    "sup",
    "sub",
    "hr",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
# No javascript:, data:, vbscript: or any scheme not listed here.
ALLOWED_SCHEMES = {"http", "https", "mailto"}
# Relative links are dropped too: a claim is shown on other sites (channels,
# newsletters) where they would point somewhere else, and a mangled scheme such as
# "jav ascript:" (Markdown turns a tab into spaces) would otherwise pass as relative.


# Building a Markdown converter (its parser and patterns) costs ~3 ms; converting a claim
# far less. One converter per thread (they keep state while converting), reset each time:
# a channel feed page renders 50 claims.
_converters = threading.local()


def _converter() -> md.Markdown:
    converter: md.Markdown | None = getattr(_converters, "markdown", None)
    if converter is None:
        converter = _converters.markdown = md.Markdown(extensions=["sane_lists"], output_format="html")
    return converter


# A pure function of the text, and lists show the same claims again and again (the queue,
# feeds): the most recent texts are kept, about 2 MB per process at most.
@functools.lru_cache(maxsize=2048)
def render(text: str) -> str:
    """Markdown -> sanitised HTML. Raw HTML in the source is escaped or dropped."""
    html = _converter().reset().convert(_LIST_AFTER_TEXT.sub(r"\1\n\n", text))
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_SCHEMES,
        url_relative="deny",
        link_rel="noopener noreferrer nofollow",
    )
