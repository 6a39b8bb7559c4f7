"""The figures kept for a few seconds, for signed-in readers too: they are the same for everyone.

The anonymous page cache (``page_cache``) serves a rendered page to visitors who are not signed in; a signed-in
reader's page carries their own header, so each of their requests computed the figures again: at a city of
100 streets, 50,000 needs and 123,000 sign-ups, 700 ms of SQL a request (190 ms for one street). What is kept
here is the figures and their charts, by street, language and street day, while no write of this process
changed public data since (the page cache's generation, bumped on every such write) and for at most
``FIGURES_SECONDS`` (other workers' writes).
"""

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

from marketplace.page_cache import PageCache

FIGURES_SECONDS = 10.0
MAX_ENTRIES = 512  # streets × languages × (figures, charts): bound the memory

T = TypeVar("T")


@dataclass(frozen=True)
class _Kept:
    value: Any
    generation: int
    stored_at: float


class FiguresMemo:
    """Values computed from public data, each kept until a write of this process or ``ttl`` seconds."""

    def __init__(
        self, writes: PageCache, ttl: float = FIGURES_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.writes = writes
        self.ttl = ttl
        self.clock = clock
        self._entries: OrderedDict[Hashable, _Kept] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        generation = self.writes.generation  # read before the data is
        with self._lock:
            kept = self._entries.get(key)
            if kept is not None and kept.generation == generation and self.clock() - kept.stored_at < self.ttl:
                self._entries.move_to_end(key)
                return kept.value  # type: ignore[no-any-return]
        value = compute()
        with self._lock:
            if self.writes.generation == generation and self.ttl > 0:
                self._entries[key] = _Kept(value, generation, self.clock())
                self._entries.move_to_end(key)
                while len(self._entries) > MAX_ENTRIES:
                    self._entries.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._entries)
