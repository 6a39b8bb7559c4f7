"""Likely duplicate needs at intake: the same character n-gram TF-IDF as ranking, cosine over a threshold."""

from dataclasses import dataclass

import numpy as np

from matching.text import TextSpace

# A first setting: a rephrased report of one problem scores about 0.4 in the tests, unrelated needs
# under 0.1. To be tuned on the street's own merge decisions once staff have made some.
DEFAULT_THRESHOLD = 0.25


@dataclass(frozen=True, slots=True)
class LikelyDuplicate:
    need_id: int
    similarity: float


def likely_duplicates(
    text: str, open_needs: list[tuple[int, str]], *, threshold: float = DEFAULT_THRESHOLD, k: int = 5
) -> list[LikelyDuplicate]:
    """The open needs most like ``text`` (same community, chosen by the caller), most similar first."""
    if not open_needs or not text.strip():
        return []
    space = TextSpace([text, *(body for _, body in open_needs)])
    scores = space.similarity(text, space.embed([body for _, body in open_needs]))
    order = np.argsort(-scores, kind="stable")[:k]
    return [LikelyDuplicate(open_needs[i][0], round(float(scores[i]), 3)) for i in order if scores[i] >= threshold]
