"""Text similarity with TF-IDF over character n-grams.

Character 1–3-grams need no word segmenter, so Chinese works as well as English: "透水砖" and
"铺设透水砖" share the grams 透, 水, 砖, 透水, 水砖 and 透水砖. Vectors are L2-normalised, so a
dot product is the cosine similarity.
"""

from collections.abc import Sequence

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer


def _vectorizer() -> TfidfVectorizer:
    return TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True, lowercase=True, dtype=np.float32)


class TextSpace:
    """A vocabulary fitted on a corpus; texts outside it still embed (unknown grams are dropped)."""

    def __init__(self, corpus: Sequence[str]) -> None:
        self.vectorizer = _vectorizer()
        documents = [text for text in corpus if text.strip()] or ["-"]
        self.vectorizer.fit(documents)

    def embed(self, texts: Sequence[str]) -> sparse.csr_matrix:
        return self.vectorizer.transform(list(texts)).tocsr()

    def embed_each(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """``embed`` for long lists with repeats (volunteers listing the same skills): each distinct
        text is vectorised once and its row repeated."""
        if not texts:
            return self.embed([])
        unique, inverse = np.unique(np.asarray(list(texts), dtype=str), return_inverse=True)
        return self.embed(unique.tolist())[inverse.ravel()]

    def similarity(self, query: str, matrix: sparse.csr_matrix) -> np.ndarray:
        """Cosine similarity of one text with every row of ``matrix`` (a dense vector)."""
        vector = self.embed([query])
        return np.asarray((matrix @ vector.T).todense()).ravel()
