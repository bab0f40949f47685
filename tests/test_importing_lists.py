"""Lists in imported articles: which become one claim, which one claim per item.

The rule (see content/importing.py, "Lists"):
- a lead-in ending in ':' and the list it introduces are one claim, whatever shape
  the list has on the page (tight, loose, flattened, or items that lost their markers);
- a list without a lead-in whose items are statements or clauses gives one claim per item, in
  the section of the heading above it (the review page shows that heading);
- a list without a lead-in whose items are mostly bare nouns (a few words, no sentence) stays
  one claim: a reviewer cannot judge "coffee" on its own.

Pure functions, no database, except the last test: an import over the API stores and shows the list.
"""

from __future__ import annotations

import time

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from content.importing import ParsedArticle, parse_article


def texts(article: ParsedArticle) -> list[str]:
    return [claim.text for section in article.sections for claim in section.claims]


LEAD_IN = "Three habits protect sleep:"
ITEMS = ["Go to bed at the same time.", "Avoid caffeine after noon.", "Keep the bedroom dark."]
ONE_CLAIM = [LEAD_IN + "".join(f"\n- {item}" for item in ITEMS), "Sleep matters."]


@pytest.mark.parametrize(
    ("fmt", "body"),
    [
        ("markdown", "- {0}\n- {1}\n- {2}"),  # tight bullets
        ("markdown", "* {0}\n\n* {1}\n\n* {2}"),  # loose bullets
        ("text", "1. {0}\n2. {1}\n3. {2}"),  # tight numbers
        ("text", "1. {0}\n\n2. {1}\n\n3. {2}"),  # loose numbers
        ("markdown", "1) {0}\n\n2) {1}\n\n3) {2}"),
        ("text", "1. {0} 2. {1} 3. {2}"),  # a numbered list that lost its line breaks
    ],
)
def test_it_keeps_a_lead_in_and_its_list_as_one_claim_in_any_shape(fmt: str, body: str) -> None:
    text = f"# Sleep\n\n{LEAD_IN}\n\n{body.format(*ITEMS)}\n\nSleep matters.\n"
    assert texts(parse_article(text, fmt)) == ONE_CLAIM


def test_it_reads_a_flattened_numbered_list_on_the_lead_in_line() -> None:
    text = f"Sleep\n\nSome say so. {LEAD_IN} 1. {ITEMS[0]} 2. {ITEMS[1]} 3. {ITEMS[2]}\n\nSleep matters.\n"
    assert texts(parse_article(text)) == ["Some say so.", *ONE_CLAIM]


def test_it_keeps_a_loose_list_whose_items_hold_several_sentences() -> None:
    text = (
        "Sleep\n\nWe asked about:\n\n1. Sleep quality. Answers ran from 1 to 5.\n\n"
        "2. Naps. Most said none.\n\nThe answers were pooled.\n"
    )
    assert texts(parse_article(text)) == [
        "We asked about:\n- Sleep quality. Answers ran from 1 to 5.\n- Naps. Most said none.",
        "The answers were pooled.",
    ]


def test_it_ends_a_loose_list_at_the_first_paragraph_that_is_not_an_item() -> None:
    text = "Sleep\n\nWe asked about:\n\n1. naps\n\n2. snoring\n\nThen:\n\n1. Diet.\n\nDone.\n"
    assert texts(parse_article(text)) == ["We asked about:\n- naps\n- snoring", "Then:\n- Diet.", "Done."]


@pytest.mark.parametrize(
    "items",
    [
        "Low-fat diet High-fat diet High-fat diet with tea extract High-fat diet with coffee extract and sugar",
        "tea, coffee, milk and dairy",  # short enough to pass for a plain-text heading
    ],
)
def test_it_keeps_items_that_lost_their_markers_with_their_lead_in(items: str) -> None:
    text = f"Diets\n\nThe mice ate one of four diets:\n\n{items}\n\nThey were weighed weekly.\n"
    assert texts(parse_article(text)) == [f"The mice ate one of four diets:\n{items}", "They were weighed weekly."]


def test_it_keeps_unmarked_item_lines_in_the_lead_in_block() -> None:
    text = "Diets\n\nThe mice ate one of three diets:\nlow fat\nhigh fat\nhigh fat with tea\n\nThey were weighed.\n"
    assert texts(parse_article(text)) == [
        "The mice ate one of three diets:\n- low fat\n- high fat\n- high fat with tea",
        "They were weighed.",
    ]


def test_it_keeps_unmarked_item_lines_in_the_block_after_the_lead_in() -> None:
    text = "Diets\n\nThe mice ate one of three diets:\n\nlow fat\nhigh fat\nhigh fat with tea\n\nThey were weighed.\n"
    assert texts(parse_article(text)) == [
        "The mice ate one of three diets:\n- low fat\n- high fat\n- high fat with tea",
        "They were weighed.",
    ]


def test_it_takes_apart_bullets_run_onto_one_line() -> None:
    text = "Drinks\n\nCut down on:\n\n• tea • coffee • milk and dairy\n\nWater is best.\n"
    assert texts(parse_article(text)) == ["Cut down on:\n- tea\n- coffee\n- milk and dairy", "Water is best."]


def test_it_joins_a_wrapped_sentence_after_a_colon_as_prose() -> None:
    text = "Advice\n\nThe advice is simple:\ndrink water and rest\nuntil the fever goes.\n"
    assert texts(parse_article(text)) == ["The advice is simple:\ndrink water and rest until the fever goes."]


def test_it_keeps_a_sentence_after_a_lead_in_its_own_claim() -> None:
    text = "Trial\n\nThe lead author said:\n\nThe results are clear.\n"
    assert texts(parse_article(text)) == ["The lead author said:", "The results are clear."]


@pytest.mark.parametrize(
    ("fmt", "text"),
    [
        ("markdown", "# Drinks\n\n## Drinks to cut down on\n\n- tea\n- coffee\n- milk and dairy\n\nWater is best.\n"),
        ("markdown", "# Drinks\n\n## Drinks to cut down on\n\n- tea\n\n- coffee\n\n- milk and dairy\n\nWater is best."),
        ("text", "Drinks\n\nDrinks to cut down on\n\n• tea\n• coffee\n• milk and dairy\n\nWater is best.\n"),
    ],
)
def test_it_never_splits_a_list_of_bare_nouns_into_one_claim_per_noun(fmt: str, text: str) -> None:
    article = parse_article(text, fmt)
    assert [(s.heading, [c.text for c in s.claims]) for s in article.sections] == [
        ("Drinks to cut down on", ["- tea\n- coffee\n- milk and dairy", "Water is best."])
    ]


def test_it_makes_each_statement_of_a_list_under_a_heading_a_claim_in_that_section() -> None:
    text = "# Sleep\n\n## What helps\n\n1. Exercise improves sleep.\n\n2. Caffeine delays sleep.\n"
    article = parse_article(text, "markdown")
    assert [(s.heading, [c.text for c in s.claims]) for s in article.sections] == [
        ("What helps", ["Exercise improves sleep.", "Caffeine delays sleep."])
    ]


def test_it_applies_the_same_rules_to_a_saved_web_page() -> None:
    html = (
        "<!doctype html><html><head><title>Sleep habits | Example Health</title></head><body><article>"
        "<h1>Sleep habits</h1><p>Most adults need seven to nine hours of sleep every night.</p>"
        f"<p>{LEAD_IN}</p><ol>" + "".join(f"<li>{item}</li>" for item in ITEMS) + "</ol>"
        "<h2>Drinks to cut down on</h2><ul><li>tea</li><li>coffee</li><li>milk and dairy</li></ul>"
        "<h2>What helps</h2><ul><li>Exercise improves sleep.</li><li>Caffeine delays sleep.</li></ul>"
        "</article></body></html>"
    )
    article = parse_article(html, "html")
    assert [(s.heading, [c.text for c in s.claims]) for s in article.sections] == [
        ("", ["Most adults need seven to nine hours of sleep every night.", ONE_CLAIM[0]]),
        ("Drinks to cut down on", ["- tea\n- coffee\n- milk and dairy"]),
        ("What helps", ["Exercise improves sleep.", "Caffeine delays sleep."]),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Doses\n\nThe dose rose from 1. 5 mg in week 1 to 2. 5 mg in week 2.\n",
        "Doses\n\nPatients took 2. Then 3. Then 4.\n",  # numbers that do not start at 1
        "Doses\n\nThe scores were: 1. Then they fell.\n",  # one number is no list
    ],
)
def test_it_does_not_see_a_list_in_numbers_inside_prose(text: str) -> None:
    assert all("\n- " not in claim for claim in texts(parse_article(text)))


def test_it_makes_each_advice_item_without_a_full_stop_a_claim() -> None:
    text = "# Sleep\n\n## Don't\n\n- eat a big meal late at night\n- nap during the day\n- drink coffee after 6pm\n"
    assert texts(parse_article(text, "markdown")) == [
        "eat a big meal late at night",
        "nap during the day",
        "drink coffee after 6pm",
    ]


def test_it_does_not_take_a_web_address_after_a_colon_for_a_list() -> None:
    text = "Trial\n\nThe full protocol can be read here:\n\nhttps://example.org/protocol\n\nIt ran for a year.\n"
    assert "https://example.org/protocol" not in texts(parse_article(text))[0]


@pytest.mark.parametrize(
    "body",
    [
        "It helps: 1. x " * 16_000,  # many lead-ins with a "1." that never goes on
        "Two kinds:\n" * 20_000,
        "Kinds:\n" + "low fat\n" * 30_000,
        "Kinds:\n\n" + "- item\n\n" * 30_000,
        "Kinds: " + "".join(f"{i}. Item. " for i in range(1, 25_000)),
    ],
)
def test_it_reads_any_list_shape_in_linear_time(body: str) -> None:
    started = time.perf_counter()
    parse_article(f"Title\n\n{body}")
    assert time.perf_counter() - started < 15  # about 0.5 s; a quadratic scan takes minutes


@pytest.mark.django_db
def test_it_stores_a_loose_list_with_its_lead_in_and_shows_it_as_a_list(author: User) -> None:
    client = APIClient()
    client.force_login(author)
    text = f"Sleep\n\n{LEAD_IN}\n\n1. {ITEMS[0]}\n\n2. {ITEMS[1]}\n\n3. {ITEMS[2]}\n\nSleep matters.\n"
    body = client.post("/api/v1/articles/", {"text": text, "format": "text"}, format="json").json()
    assert [claim["html"] for claim in body["claims"]] == [
        f"<p>{LEAD_IN}</p>\n<ul>\n" + "".join(f"<li>{item}</li>\n" for item in ITEMS) + "</ul>",
        "<p>Sleep matters.</p>",
    ]
