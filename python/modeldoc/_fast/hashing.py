"""SHA-256 on the second core: hash one chunk while the next one is read, decoded or written.

hashlib releases the GIL on large buffers, as do file reads and writes, so a
single worker thread that hashes chunks in order overlaps with the caller's
work. Checksums are half the cost of reading or writing a big document; on
two cores this hides much of it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, TypeVar

if TYPE_CHECKING:
    # concurrent.futures (and the logging it loads) comes with the first threaded hash, not with
    # the reader: opening a document lazily in a fresh process never needs it. hashlib likewise
    # comes with the first checksum (it loads OpenSSL, 3 ms), which open and inspect never need.
    from concurrent.futures import Future, ThreadPoolExecutor

T = TypeVar("T")

_SMALL = 1 << 20  # below this, a thread costs more than it saves


class Hasher:
    """``update`` in order, ``hexdigest`` at the end. A chunk must not change until the
    future ``update`` returns is done (``wait`` before reusing its buffer)."""

    def __init__(self, total: int, *, enabled: bool = True) -> None:
        import hashlib

        self._sha = hashlib.sha256()
        self._enabled = enabled  # load(verify=False) skips checksums altogether
        threaded = enabled and total >= _SMALL
        self._pool = _executor()(1, thread_name_prefix="modeldoc-sha256") if threaded else None
        self._queued: Future[None] | None = None

    def update(self, chunk: Any) -> Future[None] | None:
        if not self._enabled:
            return None
        if self._pool is None:
            self._sha.update(chunk)
            return None
        # At most one chunk waits behind the one being hashed. Without this bound a caller that
        # produces chunks faster than SHA-256 consumes them (the other core busy elsewhere) queues
        # up to the whole tensor a second time: reads were measured at 1.9x tensor bytes that way.
        wait(self._queued)
        self._queued = self._pool.submit(self._sha.update, chunk)
        return self._queued

    def hexdigest(self) -> str:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        return self._sha.hexdigest() if self._enabled else ""

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)


def _executor() -> type[ThreadPoolExecutor]:
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor


def wait(future: Future[None] | None) -> None:
    if future is not None:
        future.result()


_POOL: ThreadPoolExecutor | None = None


def hash_in_background(arr: Any) -> Future[str]:
    """The sha256 hex digest of an array's bytes, computed on a shared two-thread pool.

    The array must not change until the future is done (readers hand it out
    only after all checksums are compared).
    """
    return hash_bytes_in_background(arr.reshape(-1).view("u1").data)  # any dtype, bfloat16 too, no copy


def hash_bytes_in_background(view: Any) -> Future[str]:
    """The sha256 hex digest of a buffer, computed on the shared two-thread pool (FIFO).

    The buffer must not change until the future is done.
    """
    global _POOL
    if _POOL is None:
        _POOL = _executor()(2, thread_name_prefix="modeldoc-sha256-pool")
    import hashlib

    return _POOL.submit(lambda: hashlib.sha256(view).hexdigest())


_JOBS: ThreadPoolExecutor | None = None
JOBS = 2  # tensors streamed and hashed at once: one per core of a two-core machine


def run_in_background(job: Callable[[], T]) -> Future[T]:
    """Run ``job`` (a whole tensor: read, check, hash) on a shared pool of :data:`JOBS` threads.

    File reads and SHA-256 release the GIL, so tensors handed to this pool are
    hashed side by side on separate cores; each job streams its tensor through
    small buffers, so memory does not grow with the tensors.
    """
    global _JOBS
    if _JOBS is None:
        _JOBS = _executor()(JOBS, thread_name_prefix="modeldoc-tensor")
    return _JOBS.submit(job)
