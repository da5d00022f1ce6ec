"""Threads: the GIL released, concurrent calls, and ``threads=`` (the pool, its results)."""

from __future__ import annotations

import math
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import pysoftmax
from pysoftmax import _threads


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
        for _ in range(4):  # one thread: the C calls are all this thread's
            pysoftmax.log_softmax(x, threads=1)
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


# ---- threads=: the argument and the environment variable ------------------------------------

FUNCTIONS = ["softmax", "log_softmax", "logsumexp"]
BIG = (2048, 1024)  # 2M entries: threaded, for up to 4 threads in float32, 16 in float64


def call(function, x, **kwargs):
    return getattr(pysoftmax, function)(x, **kwargs)


@pytest.fixture
def threads_asked(monkeypatch):
    """Record the thread count that each call hands the C backend."""
    from pysoftmax._backends import c

    asked = []
    original = c._run
    monkeypatch.setattr(c, "_run", lambda *args: asked.append(args[3]) or original(*args))
    return asked


@pytest.fixture
def blocks(monkeypatch):
    """Record (blocks, threads used) for each call of the C backend cut into blocks."""
    from pysoftmax._backends import c

    calls = []
    original = c.run_blocks

    def spy(work, count, threads):
        calls.append((count, threads))
        original(work, count, threads)

    monkeypatch.setattr(c, "run_blocks", spy)
    return calls


@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("size", [(3,), BIG], ids=["small", "big"])
@pytest.mark.parametrize(
    ("threads", "error"),
    [(0, ValueError), (-1, ValueError), (1.5, TypeError), (True, TypeError), ("2", TypeError)],
)
def test_bad_thread_counts_name_the_argument(function, size, threads, error):
    with pytest.raises(error, match="threads"):
        call(function, np.ones(size), threads=threads)


def test_bad_thread_counts_are_refused_by_every_backend():
    array_api_strict = pytest.importorskip("array_api_strict")
    with pytest.raises(ValueError, match="threads"):
        pysoftmax.softmax(array_api_strict.asarray([1.0, 2.0]), threads=0)


def test_thread_counts_of_any_integer_type(blocks):
    x = np.ones(BIG, dtype=np.float32)
    expected = pysoftmax.softmax(x, threads=2)
    np.testing.assert_array_equal(pysoftmax.softmax(x, threads=np.int64(2)), expected)
    assert [threads for _, threads in blocks] == [2, 2]


@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("size", [(3,), (2, 5), BIG], ids=["small", "rows", "big"])
@pytest.mark.parametrize("value", ["abc", "0", "-1", "1.5", "2x", "³"])
def test_a_bad_environment_variable_is_named(function, size, value, monkeypatch):
    monkeypatch.setenv("PYSOFTMAX_NUM_THREADS", value)
    with pytest.raises(ValueError, match="PYSOFTMAX_NUM_THREADS"):
        call(function, np.ones(size))
    # An explicit count does not read the variable.
    call(function, np.ones(size), threads=1)


def test_the_environment_variable_sets_the_default(
    monkeypatch, threads_asked, blocks, general_path
):
    x = np.ones(BIG)  # float64: work for 16 threads
    monkeypatch.setenv("PYSOFTMAX_NUM_THREADS", "3")
    pysoftmax.softmax(x)
    pysoftmax.softmax(x, threads=2)  # the argument wins
    monkeypatch.setenv("PYSOFTMAX_NUM_THREADS", " 5 ")
    pysoftmax.logsumexp(x)
    pysoftmax.logsumexp(np.ones(10))  # small: not threaded, but asked for 5 all the same
    assert threads_asked == [3, 2, 5, 5]
    assert [threads for _, threads in blocks] == [3, 2, 5]


def test_without_the_variable_every_available_core(monkeypatch, threads_asked, general_path):
    monkeypatch.delenv("PYSOFTMAX_NUM_THREADS", raising=False)
    pysoftmax.log_softmax(np.ones(BIG))
    monkeypatch.setenv("PYSOFTMAX_NUM_THREADS", "")  # set but empty: as if unset
    pysoftmax.log_softmax(np.ones(10))
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert threads_asked == [cores, cores]
    assert _threads.available_cores() == cores


def test_a_valid_variable_keeps_small_calls_fast(monkeypatch, fast_calls):
    monkeypatch.setenv("PYSOFTMAX_NUM_THREADS", "2")
    x = np.ones(4)
    pysoftmax.softmax(x)  # read once, by the general path, and found valid
    pysoftmax.softmax(x)
    pysoftmax.softmax(x)
    assert len(fast_calls) >= 2
    monkeypatch.setenv("PYSOFTMAX_NUM_THREADS", "")  # empty: as if unset, and fast too
    pysoftmax.softmax(x)
    pysoftmax.softmax(x)
    assert len(fast_calls) >= 3
    monkeypatch.setenv("PYSOFTMAX_NUM_THREADS", "zero")  # a new value is read again
    with pytest.raises(ValueError, match="PYSOFTMAX_NUM_THREADS"):
        pysoftmax.softmax(x)


# ---- results do not depend on the thread count ----------------------------------------------


def _rows_with_special_values(shape, dtype, seed):
    x = np.random.default_rng(seed).normal(scale=20.0, size=shape).astype(dtype)
    x[3, 5] = np.nan
    x[7, :] = -np.inf
    x[11, 2] = x[11, 9] = np.inf
    x[13, 4] = -np.inf
    x[17, :] = np.finfo(dtype).max
    x[19, 1] = np.finfo(dtype).smallest_subnormal
    x[-1, -1] = np.nan
    return x


def _bits(array):
    array = np.ascontiguousarray(array)
    return array.view(np.uint32 if array.dtype == np.float32 else np.uint64)


def _one_c_call(function, matrix, temperature):
    """The C core's strided entry point, called once on the whole matrix: the reference."""
    from pysoftmax import _core

    suffix = "f32" if matrix.dtype == np.float32 else "f64"
    ctype = "float *" if suffix == "f32" else "double *"
    rows, n = matrix.shape
    # the output laid out as the input (as the C backend does): rows side by side stay so
    out = np.empty(rows, dtype=matrix.dtype) if function == "logsumexp" else np.empty_like(matrix)
    item = matrix.itemsize
    pointer = _core.ffi.cast(ctype, matrix.__array_interface__["data"][0])
    target = _core.ffi.cast(ctype, out.__array_interface__["data"][0])
    strides = [s // item for s in matrix.strides]
    out_strides = [s // item for s in out.strides]
    extra = () if function == "logsumexp" else (temperature,)
    status = getattr(_core.lib, f"psm_{function}_strided_{suffix}")(
        pointer, *strides, target, *out_strides, rows, n, *extra
    )
    assert status == 0
    return out


@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layout", ["last_axis", "axis_0", "transposed", "sliced"])
def test_every_thread_count_gives_the_same_bits(function, dtype, layout, blocks):
    data = _rows_with_special_values((2400, 500), dtype, seed=7)
    temperatures = [{}] if function == "logsumexp" else [{}, {"temperature": 0.75}]
    for kwargs in temperatures:
        if layout == "last_axis":
            x, axis, rows = data, -1, data
        elif layout == "axis_0":  # rows along axis 0 of a C-contiguous matrix: the C core's
            # kernel across rows, whose softmax may differ from the row kernel's by 1 ULP
            x = np.ascontiguousarray(data.T)
            axis, rows = 0, x.T
        elif layout == "transposed":
            x, axis, rows = data.T, 0, data
        else:
            wide = np.zeros((2400, 1500), dtype=dtype)
            wide[:, ::3] = data
            x, axis, rows = wide[:, ::3], -1, data
        results = [call(function, x, axis=axis, threads=t, **kwargs) for t in (1, 2, 3, 8)]
        reference = _one_c_call(function, rows, kwargs.get("temperature", 1.0))
        if function != "logsumexp" and axis == 0:
            reference = reference.T
        for result in results:
            assert np.array_equal(_bits(result), _bits(reference))
    # threads=1 is one call on every row; 2, 3 and 8 cut the rows into blocks
    assert len(blocks) == 3 * len(temperatures)
    assert all(count > 1 and threads > 1 for count, threads in blocks)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_thread_count_gives_the_same_bits_on_many_shapes(dtype):
    generator = np.random.default_rng(8)
    shapes = [(2, 600000), (3, 400000), (17, 70000), (4100, 257), (1200000, 1), (9, 9, 14000)]
    for shape in shapes:
        x = generator.normal(scale=5.0, size=shape).astype(dtype)
        x.reshape(-1)[::997] = np.inf
        for function in FUNCTIONS:
            one = call(function, x, threads=1)
            for threads in (2, 3, 8):
                assert np.array_equal(_bits(call(function, x, threads=threads)), _bits(one))


def test_blocks_depend_on_the_shape_only():
    from pysoftmax._backends import c

    shapes = [(2, 10**6), (64, 1024), (4096, 1024), (64, 32000), (10**5, 3), (16384, 4096)]
    for rows, n in [*shapes, (127, 70000), (1000, 65537)]:
        per_block = c.rows_per_block(rows, n)
        assert 1 <= per_block <= rows
        # A block is one row, or about BLOCK_ELEMENTS entries, or more where that makes too many.
        wanted = max(c.BLOCK_ELEMENTS, math.ceil(rows * n / c.MAX_BLOCKS))
        assert per_block == 1 or wanted - n < per_block * n <= wanted
        assert math.ceil(rows / per_block) <= 2 * c.MAX_BLOCKS


# ---- the pool is used for large inputs, and only for them -----------------------------------


def test_large_inputs_run_on_several_threads_at_once(monkeypatch):
    from pysoftmax._backends import c

    # Each thread's first block waits for a second thread to arrive: the call can end only if
    # two threads run blocks at the same time (a broken barrier after 30 s fails the test).
    barrier = threading.Barrier(2, timeout=30)
    seen: set[int] = set()
    original = c.run_blocks

    def spy(work, count, threads):
        def block(index):
            if threading.get_ident() not in seen:
                seen.add(threading.get_ident())
                barrier.wait()
            work(index)

        original(block, count, threads)

    monkeypatch.setattr(c, "run_blocks", spy)
    x = np.random.default_rng(2).normal(size=BIG).astype(np.float32)
    result = pysoftmax.softmax(x, threads=2)
    assert len(seen) == 2
    np.testing.assert_array_equal(result, pysoftmax.softmax(x, threads=1))


def test_small_inputs_and_single_rows_stay_on_the_calling_thread(monkeypatch, general_path):
    submitted = []
    original = _threads._submit
    monkeypatch.setattr(
        _threads, "_submit", lambda task, copies: submitted.append(copies) or original(task, copies)
    )
    pysoftmax.softmax(np.ones((4, 1000)), threads=4)  # 4000 entries: below the threshold
    pysoftmax.softmax(np.ones(600000), threads=4)  # one row
    pysoftmax.softmax(np.ones(BIG), threads=1)  # one thread asked
    assert submitted == []
    pysoftmax.softmax(np.ones(BIG), threads=4)
    assert submitted == [3]


def test_one_pool_grown_on_demand_and_reused(monkeypatch):
    from pysoftmax._backends import c

    monkeypatch.setattr(c, "WORK_PER_THREAD", 1)  # as many threads as there are blocks
    x = np.ones((64, 20000))  # 22 blocks: work for up to 22 threads
    pysoftmax.softmax(x, threads=2)
    pool = _threads._pool
    assert pool is not None and _threads.pool_size() >= 1
    pysoftmax.softmax(x, threads=2)
    assert _threads._pool is pool
    wanted = _threads.pool_size() + 2
    pysoftmax.softmax(x, threads=wanted + 1)
    assert _threads.pool_size() >= wanted and _threads._pool is not pool


def test_threaded_calls_from_many_python_threads_at_once():
    generator = np.random.default_rng(3)
    inputs = [generator.normal(size=(300, 400)).astype(dtype) for dtype in (np.float32, np.float64)]
    expected = {(i, f): call(f, x, threads=1) for i, x in enumerate(inputs) for f in FUNCTIONS}
    jobs = [(i, f, t) for i in range(len(inputs)) for f in FUNCTIONS for t in (2, 3, 5, 8)] * 3
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [(i, f, pool.submit(call, f, inputs[i], threads=t)) for i, f, t in jobs]
    for i, f, future in futures:
        assert np.array_equal(_bits(future.result()), _bits(expected[(i, f)]))


def test_torch_cpu_tensors_are_threaded_too(blocks):
    torch = pytest.importorskip("torch")
    data = np.random.default_rng(4).normal(size=BIG)
    tensor = torch.from_numpy(data.copy())
    result = pysoftmax.softmax(tensor, threads=2)
    assert blocks == [(blocks[0][0], 2)]
    np.testing.assert_array_equal(result.numpy(), pysoftmax.softmax(data, threads=1))


def test_run_blocks_runs_every_block_once_and_raises_the_first_error():
    ran = []
    lock = threading.Lock()

    def work(index):
        with lock:
            ran.append(index)
        if index == 5:
            raise ZeroDivisionError("block 5")

    with pytest.raises(ZeroDivisionError, match="block 5"):
        _threads.run_blocks(work, 40, 4)
    assert sorted(ran) == list(range(40))


_FORK_SCRIPT = """
import os, sys, threading
import numpy as np
import pysoftmax
from pysoftmax import _threads

x = np.ones((2048, 1024), dtype=np.float32)
pysoftmax.softmax(x, threads=2)  # the parent's pool exists, with its threads
pid = os.fork()
if pid == 0:  # the child: the parent's threads are not here, nor is its pool
    fresh = _threads._pool is None
    total = float(pysoftmax.softmax(x, threads=2).sum())
    workers = [t for t in threading.enumerate() if t.name.startswith("pysoftmax")]
    os._exit(0 if fresh and total == 2048.0 and workers else 1)
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_a_forked_child_gets_a_pool_of_its_own():
    # In a fresh interpreter: this one has JAX and torch loaded, which object to fork.
    import subprocess

    completed = subprocess.run(
        [sys.executable, "-c", _FORK_SCRIPT], capture_output=True, text=True, timeout=120
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
