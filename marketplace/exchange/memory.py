"""Giving memory back to the operating system after a large import.

CPython frees the objects of a parsed upload, but glibc keeps the freed arenas in the process; without
``malloc_trim`` a server that once imported a big file keeps that resident size for good.
"""

import ctypes
import ctypes.util
import gc
import threading
from functools import cache
from typing import Any


@cache
def _libc() -> Any:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
        libc.malloc_trim  # noqa: B018 - absent on musl and macOS
    except (OSError, AttributeError):
        return None
    return libc


def release_memory() -> None:
    """Collect garbage, then hand the free heap back to the system where glibc allows it."""
    gc.collect()
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


_pending = threading.Lock()


def release_memory_soon(delay: float = 0.5) -> None:
    """``release_memory`` once the request is over: until then its body and form still hold the upload."""
    if not _pending.acquire(blocking=False):
        return  # a release is already on its way and will collect this upload too

    def run() -> None:
        try:
            release_memory()
        finally:
            _pending.release()

    timer = threading.Timer(delay, run)
    timer.daemon = True
    timer.start()
