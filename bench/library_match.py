"""Measure library matching: 25 imported claims against 100k approved claim texts, in memory.

    .venv/bin/python bench/library_match.py [--approved 100000] [--claims 25] [--seed 8] [--uniform]

Builds synthetic approved claims of 10-40 words and keys them as
content.library does at write time (normalised hash, sorted words), then times
what an import does: exact lookups and near matching against the inverted
index (content.library.LibraryIndex: prefix filtering, then rapidfuzz). The
index is built once per process and then kept in step; its build is timed
apart. Half of the
imported claims are copies of approved ones with one word changed, so there
are real near matches to find; one is an exact copy.

Words are drawn Zipf-distributed from a 30,000-word vocabulary (function words
most often), as in real text. --uniform draws from only 150 equally common
words instead: the worst case, where every claim shares most words with every
other and prefix filtering cannot prune. Prints the figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from content.library import LibraryIndex, norm_hash, sort_key, tokens  # noqa: E402

FUNCTION_WORDS = "the of and in to a is for with that are by on as may can or be from this".split()
HEALTH_WORDS = (
    "adults children patients depression anxiety insomnia hypertension diabetes exercise walking sleep diet "
    "fibre sugar salt alcohol smoking coffee vitamin supplements therapy medication antidepressants statins "
    "aspirin vaccines lowers raises reduces increases improves prevents risk blood pressure heart disease stroke "
    "cancer dementia memory mood pain fatigue weight cholesterol symptoms relapse recovery trials studies evidence"
).split()


def vocabulary(uniform: bool) -> tuple[list[str], list[float] | None]:
    if uniform:
        return [f"word{i}" for i in range(150)], None
    words = FUNCTION_WORDS + HEALTH_WORDS + [f"term{i}" for i in range(30_000)]
    return words, list(itertools.accumulate(1.0 / rank for rank in range(1, len(words) + 1)))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--approved", type=int, default=100_000)
    parser.add_argument("--claims", type=int, default=25)
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--uniform", action="store_true", help="worst case: 150 equally common words")
    args = parser.parse_args()
    rng = random.Random(args.seed)  # noqa: S311 (synthetic data, not secrets)
    words, cum_weights = vocabulary(args.uniform)

    def sentence() -> str:
        return " ".join(rng.choices(words, cum_weights=cum_weights, k=rng.randint(10, 40))).capitalize() + "."

    texts = [sentence() for _ in range(args.approved)]
    started = time.perf_counter()
    keys = [sort_key(t) for t in texts]
    hashes: dict[str, int] = {}
    for position, text in enumerate(texts):
        hashes.setdefault(norm_hash(text), position)
    keyed = time.perf_counter() - started
    started = time.perf_counter()
    index = LibraryIndex()
    for position, key in enumerate(keys):
        index.add(position, tokens(key))
    indexed = time.perf_counter() - started

    claims = []
    for i in range(args.claims):
        if i % 2:
            changed = rng.choice(texts).rstrip(".").split()
            changed[rng.randrange(len(changed))] = rng.choice(words)
            claims.append(" ".join(changed) + ".")
        else:
            claims.append(sentence())
    claims[0] = texts[123]
    started = time.perf_counter()
    exact = [hashes.get(norm_hash(c)) for c in claims]
    found = [index.search(tokens(sort_key(c))) for c in claims]
    matched = time.perf_counter() - started

    print(f"approved texts: {args.approved:,} ({'uniform 150 words' if args.uniform else 'Zipf, 30k words'})")
    print(f"keying the corpus (once, at write time): {keyed:.2f} s")
    print(f"building the index (once per process, then kept in step): {indexed:.2f} s")
    print(f"matching {args.claims} claims (exact + near, cutoff 85): {matched:.3f} s")
    print(
        f"claims with an exact match: {sum(e is not None for e in exact)}; with a near match: {sum(map(bool, found))}"
    )


if __name__ == "__main__":
    main()
