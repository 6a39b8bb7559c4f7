"""Ranking many shifts vectorises their texts once, however many time groups they fall into.

A volunteer's "recommended tasks" ranks every open shift of their streets against them alone
(``VolunteerIndex.rank_many``). Shifts are grouped by their half-hour blocks, and a street's shifts are at
many different times: 900 open shifts made 66 groups, each vectorising its shifts' texts in a call of its own
(30 ms of the 74 the ranking took, on the slowest page of the load run in docs/logged_in_load.md). The texts
are now vectorised in one call, with the same rankings to the last bit.
"""

from typing import Any

import pytest

from matching import TextSpace
from tests.test_matching_volunteers import random_street


@pytest.mark.parametrize("seed", range(3))
def test_the_shifts_texts_are_vectorised_once_with_the_same_rankings(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    index, shifts = random_street(seed, True)
    assert len({(shift.starts_at, shift.ends_at) for shift in shifts}) > 3  # several time groups
    expected = [index.rank(shift, k=5) for shift in shifts]
    calls: list[int] = []
    embed = TextSpace.embed

    def counted(self: TextSpace, texts: Any) -> Any:
        calls.append(len(list(texts)))
        return embed(self, texts)

    monkeypatch.setattr(TextSpace, "embed", counted)
    for chunk_pairs in (50, 100_000):
        calls.clear()
        assert index.rank_many(shifts, k=5, chunk_pairs=chunk_pairs) == expected
        assert len(calls) == 1, calls
