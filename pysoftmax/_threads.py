"""The thread count of a call, and the one thread pool that runs blocks of work.

``threads=None`` means the ``PYSOFTMAX_NUM_THREADS`` environment variable
where it is set (a positive integer), else every core this process may run on.
The pool is created on first use, grown when a call asks for more threads
than it has, and shared by every call from every Python thread; the calling
thread always does its share of the blocks, so a call never waits on work
queued behind another call's.
"""

from __future__ import annotations

import itertools
import operator
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

ENVIRONMENT_VARIABLE = "PYSOFTMAX_NUM_THREADS"

# Values of the variable already read and found valid, as os.environ stores them
# (encoded): the front door's fast path checks a value against these without parsing it.
VALID_ENVIRONMENT_VALUES: set[object] = set()
_encode_value: Callable[[str], object] = getattr(os.environ, "encodevalue", lambda value: value)


def available_cores() -> int:
    """Return how many cores this process may run on (its CPU affinity where there is one)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # no affinity on this platform
        return os.cpu_count() or 1


def from_environment() -> int | None:
    """Return the count in ``PYSOFTMAX_NUM_THREADS``, None where it is unset or empty.

    Raises
    ------
    ValueError
        Naming the variable, when it holds anything but a positive integer.
    """
    raw = os.environ.get(ENVIRONMENT_VARIABLE)
    if raw is None:
        return None
    text = raw.strip()
    if raw and (not (text.isascii() and text.isdigit()) or int(text) < 1):
        raise ValueError(
            f"the environment variable {ENVIRONMENT_VARIABLE} must be a positive integer "
            f"(a thread count), got {raw!r}"
        )
    VALID_ENVIRONMENT_VALUES.add(_encode_value(raw))
    return int(text) if raw else None


def resolve(threads: Any) -> int:
    """Return the thread count a call asks for: ``threads``, or the default for None.

    Raises
    ------
    TypeError
        When ``threads`` is not an int (or None); a bool is not a count.
    ValueError
        When ``threads`` is below 1, or ``PYSOFTMAX_NUM_THREADS`` (read for
        None) is not a positive integer.
    """
    if threads is None:
        configured = from_environment()
        return available_cores() if configured is None else configured
    if isinstance(threads, bool):
        raise TypeError(f"threads must be a positive int or None, got {threads!r}")
    try:
        count = operator.index(threads)
    except TypeError:
        raise TypeError(
            f"threads must be a positive int or None, got {type(threads).__name__} {threads!r}"
        ) from None
    if count < 1:
        raise ValueError(f"threads must be a positive int or None, got {count}")
    return count


# ---- the pool ---------------------------------------------------------------------------------

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_pool_workers = 0


def _forget_pool_after_fork() -> None:
    """In a forked child the pool's threads do not exist: start afresh."""
    global _lock, _pool, _pool_workers
    _lock = threading.Lock()
    _pool, _pool_workers = None, 0


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool_after_fork)


def pool_size() -> int:
    """Return how many worker threads the pool may run (0 before its first use)."""
    return _pool_workers


def _submit(task: Callable[[], None], copies: int) -> int:
    """Queue ``copies`` runs of ``task`` on the pool, grown to at least ``copies`` workers.

    Returns how many were queued: fewer only when the interpreter is shutting
    down (the pool takes no new work then; the caller does it all).
    """
    global _pool, _pool_workers
    with _lock:  # growing replaces the pool: nobody may submit to the old one meanwhile
        if _pool is None or _pool_workers < copies:
            old = _pool
            _pool = ThreadPoolExecutor(max_workers=copies, thread_name_prefix="pysoftmax")
            _pool_workers = copies
            if old is not None:
                old.shutdown(wait=False)  # its threads end after the work already queued
        for queued in range(copies):
            try:
                _pool.submit(task)
            except RuntimeError:  # "cannot schedule new futures after interpreter shutdown"
                return queued
    return copies


class _Blocks:
    """Blocks ``0 .. count - 1`` of ``work``, claimed one at a time by any thread."""

    def __init__(self, work: Callable[[int], None], count: int) -> None:
        self._work = work
        self._count = count
        self._claim = itertools.count()  # next() on it is atomic
        self._remaining = count
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._error: BaseException | None = None

    def drain(self) -> None:
        """Run blocks until none is left to claim."""
        while (index := next(self._claim)) < self._count:
            try:
                self._work(index)
            except BaseException as error:  # re-raised in the calling thread
                with self._lock:
                    self._error = self._error or error
            finally:
                with self._lock:
                    self._remaining -= 1
                    if self._remaining == 0:
                        self._done.set()

    def wait(self) -> None:
        """Wait until every block has run; raise the first error one of them raised."""
        self._done.wait()
        if self._error is not None:
            raise self._error


def run_blocks(work: Callable[[int], None], blocks: int, threads: int) -> None:
    """Run ``work(0)``, ..., ``work(blocks - 1)`` on up to ``threads`` threads, and wait.

    The calling thread takes part; which thread runs which block varies from
    call to call, so ``work`` must not depend on it.  The first exception a
    block raises is raised here, after every block has run.
    """
    helpers = min(threads, blocks) - 1
    if helpers <= 0:
        for index in range(blocks):
            work(index)
        return
    pending = _Blocks(work, blocks)
    _submit(pending.drain, helpers)
    pending.drain()
    pending.wait()
