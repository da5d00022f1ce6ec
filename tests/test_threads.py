"""The C backend releases the GIL and is safe to call from many threads at once."""

from __future__ import annotations

import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

import pysoftmax


def test_the_gil_is_released_during_the_c_call():
    # With a huge switch interval a thread keeps the GIL until it blocks or
    # releases it: the main thread can count while the worker is inside the
    # C call only if that call released the GIL.
    x = np.random.default_rng(0).normal(size=(1024, 1024))
    pysoftmax.softmax(x[:2])  # load everything first
    counter = [0]
    seen: list[int] = []
    done = threading.Event()

    def worker() -> None:
        before = counter[0]
        pysoftmax.log_softmax(x)
        seen.append(counter[0] - before)
        done.set()

    interval = sys.getswitchinterval()
    sys.setswitchinterval(100.0)
    try:
        thread = threading.Thread(target=worker)
        thread.start()
        while not done.is_set():
            counter[0] += 1
            time.sleep(0)  # lets the worker take the GIL
        thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert seen[0] > 10


def test_concurrent_calls_give_the_single_threaded_results():
    generator = np.random.default_rng(1)
    inputs = [
        generator.normal(scale=10.0, size=(64, 257)).astype(dtype)
        for dtype in (np.float32, np.float64)
        for _ in range(4)
    ]
    functions = [pysoftmax.softmax, pysoftmax.log_softmax, pysoftmax.logsumexp]
    expected = [[f(x) for f in functions] for x in inputs]
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [[pool.submit(f, x) for f in functions] for x in inputs for _ in range(4)]
    for index, row in enumerate(futures):
        for future, reference in zip(row, expected[index // 4], strict=True):
            np.testing.assert_array_equal(future.result(), reference)
