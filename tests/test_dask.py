"""The Dask backend: lazy, chunked along the reduced axis or not, on a real cluster."""

from __future__ import annotations

import numpy as np
import pytest

import pysoftmax
from conformance import reference

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")

FUNCTIONS = ["softmax", "log_softmax", "logsumexp"]


def _refuse_to_compute(*args, **kwargs):
    raise AssertionError("the graph was computed before .compute()")


def _data(dtype=np.float64) -> np.ndarray:
    generator = np.random.default_rng(4)
    data = generator.normal(scale=20.0, size=(6, 240)).astype(dtype)
    data[1, 7] = -np.inf
    data[2, :] = -np.inf
    data[3, 100] = np.inf
    data[4, 17] = np.nan
    return data


def _assert_within_one_ulp(computed: np.ndarray, expected: np.ndarray) -> None:
    assert computed.dtype == expected.dtype and computed.shape == expected.shape
    for a, b in zip(computed.ravel().tolist(), expected.ravel().tolist(), strict=True):
        assert reference.ulp_distance(a, b, expected.dtype) <= 1, (a, b)


@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("chunks", [(2, 240), (2, 50), (3, 30)], ids=["rows", "spans", "small"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_lazy_and_equal_to_the_c_core(function, chunks, dtype):
    data = _data(dtype)
    x = da.from_array(data, chunks=chunks)
    kwargs = {} if function == "logsumexp" else {"temperature": 0.37}
    with dask.config.set(scheduler=_refuse_to_compute):
        result = getattr(pysoftmax, function)(x, **kwargs)
    assert isinstance(result, da.Array)
    assert result.dtype == dtype
    expected = getattr(pysoftmax, function)(data, **kwargs)
    _assert_within_one_ulp(np.asarray(result.compute()), expected)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_several_axes_spanning_chunks(function):
    data = np.random.default_rng(5).normal(scale=5.0, size=(4, 9, 10))
    x = da.from_array(data, chunks=(2, 4, 5))
    with dask.config.set(scheduler=_refuse_to_compute):
        result = getattr(pysoftmax, function)(x, axis=(0, 2))
    expected = getattr(pysoftmax, function)(data, axis=(0, 2))
    _assert_within_one_ulp(np.asarray(result.compute()), expected)


def test_float16_and_integers_stay_lazy():
    x16 = da.from_array(np.linspace(-3, 3, 40).astype(np.float16).reshape(4, 10), chunks=(2, 5))
    x_int = da.from_array(np.arange(40).reshape(4, 10), chunks=(2, 5))
    with dask.config.set(scheduler=_refuse_to_compute):
        result16 = pysoftmax.softmax(x16)
        result_int = pysoftmax.log_softmax(x_int)
    assert result16.dtype == np.float16 and result_int.dtype == np.float64
    np.testing.assert_array_equal(result16.compute(), pysoftmax.softmax(x16.compute()))


# distributed's own sockets are closed by its finalizers, after the test.
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_on_a_local_cluster_with_two_worker_processes():
    distributed = pytest.importorskip("distributed")
    data = np.random.default_rng(6).normal(scale=30.0, size=(8, 4000))
    x = da.from_array(data, chunks=(4, 1000))  # rows span four chunks
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            scheduler_port=0,
            dashboard_address=":0",
            host="127.0.0.1",
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        assert len(client.scheduler_info()["workers"]) == 2
        results = client.compute(
            [pysoftmax.softmax(x, temperature=6.5), pysoftmax.logsumexp(x)], sync=True
        )
    _assert_within_one_ulp(np.asarray(results[0]), pysoftmax.softmax(data, temperature=6.5))
    _assert_within_one_ulp(np.asarray(results[1]), pysoftmax.logsumexp(data))
