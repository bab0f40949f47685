"""content.markdown.render: Markdown in, sanitised HTML out. Pure: no database.

The XSS corpus is checked structurally: every tag in the output must have the
plain canonical shape the sanitiser writes (so no parser quirk can read more into
it), and parsed, every tag, attribute and URL must be on the allow-list. String
checks alone miss obfuscations.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from content.markdown import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, render

SAFE_URL_PREFIXES = ("http://", "https://", "mailto:")
# One allowed tag, its allowed attributes each as name="value" with no quote
# inside, nothing else. Comments, CDATA, unquoted or glued attributes all fail.
CANONICAL_TAG = re.compile(
    rf"</?(?:{'|'.join(sorted(ALLOWED_TAGS))})"
    r'(?: (?:href|title|rel)="[^"<]*")*\s*/?>'
)

XSS = [
    # script tags
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<<script>script>alert(1)<</script>/script>",
    "<scr<script>ipt>alert(1)</script>",
    # event handlers
    "<img src=x onerror=alert(1)>",
    '<img src="x" onerror="alert(1)"/>',
    '<a href="https://example.org" onclick="alert(1)">x</a>',
    "<div onmouseover=alert(1)>x</div>",
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>x</details>",
    "<body onload=alert(1)>",
    # javascript: URLs, plain and obfuscated
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href="jav&Tab;ascript:alert(1)">x</a>',
    '<a href="jav\tascript:alert(1)">x</a>',
    '<a href="java\nscript:alert(1)">x</a>',
    '<a href="javascript&colon;alert(1)">x</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
    '<a href="&#0000106avascript:alert(1)">x</a>',
    '<a href="\x01javascript:alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    # data: URLs
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    # Markdown links and images
    "[x](javascript:alert(1))",
    "[x](JAVASCRIPT:alert(1))",
    "[x](jav&#x09;ascript:alert(1))",
    "[x](jav\tascript:alert(1))",
    "[x](java%0ascript:alert(1))",
    "[x](<javascript:alert(1)>)",
    "[x]: javascript:alert(1)\n\n[a reference link][x]",
    "<javascript:alert(1)>",
    "![x](javascript:alert(1))",
    '![x](x "onerror=alert(1)")',
    # svg / iframe / object / embed / style / forms / meta
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    "<iframe src=javascript:alert(1)></iframe>",
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    "<object data=javascript:alert(1)></object>",
    "<embed src=javascript:alert(1)>",
    "<style>body{background:url(javascript:alert(1))}</style>",
    '<p style="background:url(javascript:alert(1))">x</p>',
    '<link rel="stylesheet" href="javascript:alert(1)">',
    '<form action="javascript:alert(1)"><button>x</button></form>',
    '<base href="javascript:alert(1)//">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    # attribute injection through Markdown link syntax and quoting
    '[x](https://example.org" onclick="alert(1))',
    '[x](https://example.org "a\\" onclick=\\"alert(1)")',
    "<a href='https://example.org' title='\" onmouseover=alert(1) x=\"'>x</a>",
    '<a href="https://example.org"onmouseover="alert(1)">x</a>',
    "<a href=https://example.org/ onmouseover=alert(1)>x</a>",
    # HTML comments and CDATA tricks
    "<!--><script>alert(1)</script>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
]


class Collect(HTMLParser):
    """Every tag and attribute in a fragment, as a browser's tokenizer sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str, str]] = []
        self.comments: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend((tag, name, value or "") for name, value in attrs)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)


def parse(html: str) -> Collect:
    collected = Collect()
    collected.feed(html)
    collected.close()
    return collected


@pytest.mark.parametrize("source", XSS)
def test_it_writes_only_canonical_tags(source: str) -> None:
    html = render(source)
    tags = re.findall(r"<[^>]*>?", html)
    assert all(CANONICAL_TAG.fullmatch(tag) for tag in tags), tags


@pytest.mark.parametrize("source", XSS)
def test_it_keeps_only_allowed_tags(source: str) -> None:
    assert set(parse(render(source)).tags) <= ALLOWED_TAGS


@pytest.mark.parametrize("source", XSS)
def test_it_keeps_only_allowed_attributes(source: str) -> None:
    allowed = {(tag, name) for tag, names in ALLOWED_ATTRIBUTES.items() for name in names} | {("a", "rel")}
    assert {(tag, name) for tag, name, _ in parse(render(source)).attrs} <= allowed


@pytest.mark.parametrize("source", XSS)
def test_it_keeps_only_http_and_mailto_links(source: str) -> None:
    hrefs = [value for _, name, value in parse(render(source)).attrs if name == "href"]
    assert all(href.startswith(SAFE_URL_PREFIXES) for href in hrefs), hrefs


@pytest.mark.parametrize("source", XSS)
def test_it_leaves_no_executable_url_anywhere(source: str) -> None:
    # Outside attribute *text* (a title may quote anything), no scheme that runs code survives.
    values = [value for _, name, value in parse(render(source)).attrs if name != "title"]
    compact = "".join("".join(values).split()).lower()
    assert "javascript:" not in compact and "vbscript:" not in compact and "data:" not in compact


@pytest.mark.parametrize("source", XSS)
def test_it_leaves_no_comments(source: str) -> None:
    assert parse(render(source)).comments == []


def test_it_drops_script_content_entirely() -> None:
    assert "alert" not in render("Before <script>alert(1)</script> after")


def test_it_shows_code_as_text() -> None:
    assert render("`<script>alert(1)</script>`") == "<p><code>&lt;script&gt;alert(1)&lt;/script&gt;</code></p>"


def test_it_renders_emphasis() -> None:
    assert render("Sleep is **essential** for *memory*.") == (
        "<p>Sleep is <strong>essential</strong> for <em>memory</em>.</p>"
    )


def test_it_keeps_safe_links_with_a_safe_rel() -> None:
    assert render("[NHS](https://www.nhs.uk/)") == (
        '<p><a href="https://www.nhs.uk/" rel="noopener noreferrer nofollow">NHS</a></p>'
    )


def test_it_drops_relative_links() -> None:
    assert render("[home](/accounts/login/)") == '<p><a rel="noopener noreferrer nofollow">home</a></p>'


def test_it_renders_a_list_right_after_its_lead_in() -> None:
    assert "<li>synaptogenesis</li>" in render("BDNF is critical for:\n- dendritic branching\n- synaptogenesis")


def test_it_keeps_the_text_of_disallowed_headings() -> None:
    assert render("# Big heading") == "Big heading"


def test_it_forgets_one_text_when_rendering_the_next() -> None:
    # One converter is reused per thread: a link definition in one claim must not resolve in another.
    assert "<a" in render("See [the trial][t].\n\n[t]: https://example.org/trial")
    assert "<a" not in render("See [the trial][t].")
