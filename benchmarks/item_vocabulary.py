"""The item vocabulary: how fast a text resolves, how long the vocabulary takes to build, and what the demo's
texts resolve to.

    python3 -m uv run python benchmarks/item_vocabulary.py [--repeat 200]

Texts: every demo offer's title (Chinese and English) and description, every demo resource line's item,
and the same with filler around them ("社区居民反映：… 数量若干，请尽快协调"), so both short names and
longer descriptions are timed. Writes benchmarks/results/item_vocabulary.json.
"""

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

from matching.vocabulary import ItemVocabulary
from seeds.data.item_vocabulary import CURATED_ITEMS
from seeds.data.needs import NEED_TEMPLATES
from seeds.data.offers import OFFER_TEMPLATES

RESULTS = Path(__file__).parent / "results" / "item_vocabulary.json"


def texts() -> list[tuple[str, str, str, str]]:
    """(text, category, kind, unit) of the demo's offers and lines, bare and within a longer sentence."""
    found = []
    for offer in OFFER_TEMPLATES:
        for text in (offer.title, offer.title_en, offer.description):
            found.append((text, offer.category.value, offer.kind.value, offer.unit))
    for need in NEED_TEMPLATES:
        for line in need.lines:
            found.append((line.item, line.category.value, line.kind.value, line.unit))
    padded = [(f"社区居民反映：{text}，数量若干，请尽快协调。", *rest) for text, *rest in found]
    return found + padded  # type: ignore[misc]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()

    builds = []
    for _ in range(20):
        start = time.perf_counter()
        vocabulary = ItemVocabulary(CURATED_ITEMS)
        builds.append(time.perf_counter() - start)
    sample = texts()
    resolved = sum(1 for text, category, kind, unit in sample if vocabulary.key_of(text, category, kind, unit))
    per_text = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        for text, category, kind, unit in sample:
            vocabulary.key_of(text, category, kind, unit)
        per_text.append((time.perf_counter() - start) / len(sample))
    synonyms = sum(len(entry.spellings()) for entry in vocabulary)
    figures = {
        "items": len(vocabulary),
        "spellings": synonyms,
        "texts": len(sample),
        "texts_resolved": resolved,
        "build_ms_median": round(statistics.median(builds) * 1000, 3),
        "resolve_us_median": round(statistics.median(per_text) * 1e6, 1),
        "resolve_us_p95": round(sorted(per_text)[int(len(per_text) * 0.95) - 1] * 1e6, 1),
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    for name, value in figures.items():
        print(f"{name}: {value}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
