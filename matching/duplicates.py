"""Likely duplicate needs at intake: the ranking's character n-grams (1–3, within words, sublinear term
frequency, L2-normalised), cosine over a threshold.

Unlike ranking, no IDF: a pair's similarity then depends on the two texts alone, not on which other
needs happen to be open, so a need checked alone and the same need checked in a batch import (one
sparse product) get the same score, and a score means the same thing next month.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

# A rephrased report of one problem scores about 0.5 in the tests, unrelated needs under 0.15, and
# unrelated English sentences sharing common letters about 0.3. To be tuned on the street's own merge
# decisions once staff have made enough of them.
DEFAULT_THRESHOLD = 0.35


@dataclass(frozen=True, slots=True)
class LikelyDuplicate:
    need_id: int
    similarity: float


def need_vectors(texts: Sequence[str]) -> sparse.csr_matrix:
    """One L2-normalised row per text; the dot product of two rows is their similarity."""
    if not texts:
        return sparse.csr_matrix((0, 0), dtype=np.float64)
    vectorizer = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True, use_idf=False, lowercase=True
    )
    try:
        return vectorizer.fit_transform(list(texts)).tocsr()
    except ValueError:  # every text empty: nothing is like anything
        return sparse.csr_matrix((len(texts), 1), dtype=np.float64)


def similarities(text: str, others: Sequence[str]) -> np.ndarray:
    """The similarity of ``text`` with each of ``others``."""
    if not others:
        return np.zeros(0)
    matrix = need_vectors([text, *others])
    return np.asarray((matrix[1:] @ matrix[0].T).todense()).ravel()


def likely_duplicates(
    text: str, open_needs: list[tuple[int, str]], *, threshold: float = DEFAULT_THRESHOLD, k: int = 5
) -> list[LikelyDuplicate]:
    """The open needs most like ``text`` (same community, chosen by the caller), most similar first,
    ties by id."""
    if not open_needs or not text.strip():
        return []
    scores = similarities(text, [body for _, body in open_needs])
    ids = np.asarray([need_id for need_id, _ in open_needs])
    order = np.lexsort((ids, -scores))[:k]
    return [LikelyDuplicate(int(ids[i]), round(float(scores[i]), 3)) for i in order if scores[i] >= threshold]
