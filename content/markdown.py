"""The one place Markdown becomes HTML. Everything it returns is sanitised."""

import re

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


def render(text: str) -> str:
    """Markdown -> sanitised HTML. Raw HTML in the source is escaped or dropped."""
    html = md.markdown(_LIST_AFTER_TEXT.sub(r"\1\n\n", text), extensions=["sane_lists"], output_format="html")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_SCHEMES,
        url_relative="deny",
        link_rel="noopener noreferrer nofollow",
    )
