"""pysoftmax.sample: the draws' frequencies, the limits, reproducibility, the generator, errors.

The frequencies are checked by a chi-square test of 10^5 draws (one call on 10^5 copies of
the logits) against softmax(x / T) computed here with mpmath, never by pysoftmax; each case
also checks a slightly wrong distribution (T off by 10%, or an entry's mass moved), which the
same draws must reject: the test has the power to fail.  The seeds are fixed, so the tests
are deterministic.
"""

from __future__ import annotations

import importlib.util
import math
from typing import Any

import mpmath
import numpy as np
import pytest

import pysoftmax
from pysoftmax import _sampling

try:
    import ml_dtypes

    BFLOAT16: Any = np.dtype(ml_dtypes.bfloat16)
except ImportError:  # pragma: no cover
    BFLOAT16 = None

try:
    from pysoftmax import _core
except ImportError:  # pragma: no cover - the extension is built by pip install
    _core = None  # type: ignore[assignment]

DRAWS = 100_000
SEED_EXAMPLE = np.array([38.0, 20.0, 40.0, 39.0])  # goes, go, went, comes
HAVE = {name: importlib.util.find_spec(name) is not None for name in ("torch", "jax", "dask")}
HAVE["array_api_strict"] = importlib.util.find_spec("array_api_strict") is not None


# ---------------------------------------------------------------- references


def reference_probabilities(logits: np.ndarray, temperature: float) -> np.ndarray:
    """softmax(x / T) in mpmath at 50 digits, from the float64 values of ``logits``."""
    with mpmath.workdps(50):
        values = [mpmath.mpf(float(v)) for v in np.asarray(logits, dtype=np.float64)]
        alive = [v for v in values if v != -mpmath.inf]
        top = max(alive)
        if temperature == math.inf:
            weights = [mpmath.mpf(v != -mpmath.inf) for v in values]
        else:
            weights = [
                mpmath.exp((v - top) / mpmath.mpf(temperature)) if v != -mpmath.inf else 0
                for v in values
            ]
        total = mpmath.fsum(weights)
        return np.array([float(w / total) for w in weights])


def chi_square_p_value(counts: np.ndarray, probabilities: np.ndarray) -> float:
    """The p-value of Pearson's chi-square test (cells expecting fewer than 5 draws pooled)."""
    draws = int(counts.sum())
    expected = probabilities * draws
    small = expected < 5
    observed_cells = list(counts[~small].astype(float))
    expected_cells = list(expected[~small])
    if small.any():
        observed_cells.append(float(counts[small].sum()))
        expected_cells.append(float(expected[small].sum()))
    statistic = sum(
        (o - e) ** 2 / e for o, e in zip(observed_cells, expected_cells, strict=True) if e > 0
    )
    if any(e == 0 and o > 0 for o, e in zip(observed_cells, expected_cells, strict=True)):
        return 0.0  # a draw of an entry with no mass at all
    degrees = len(expected_cells) - 1
    return float(mpmath.gammainc(degrees / 2, statistic / 2, mpmath.inf, regularized=True))


def nucleus(probabilities: np.ndarray, top_p: float) -> np.ndarray:
    """Whether each entry is in the nucleus: the entries >= the value where the mass reaches p."""
    order = np.argsort(-probabilities, kind="stable")
    with mpmath.workdps(50):
        mass = mpmath.mpf(0)
        for position, index in enumerate(order):
            mass += mpmath.mpf(float(probabilities[index]))
            if mass >= top_p or position == len(order) - 1:
                return probabilities >= probabilities[index]
    raise AssertionError("unreachable")


def draw_counts(logits: Any, n: int, **kwargs: Any) -> np.ndarray:
    """Counts of 10^5 draws from ``logits`` (one call on 10^5 copies of them)."""
    rows = np.broadcast_to(np.asarray(logits), (DRAWS, n))
    draws = pysoftmax.sample(rows, **kwargs)
    assert draws.shape == (DRAWS,) and draws.dtype == np.int64
    return np.bincount(draws, minlength=n)


# ---------------------------------------------------------------- the frequencies

FREQUENCY_CASES = [
    # (id, logits, dtype, sample keywords, the temperature the reference uses)
    ("seed-example-T0.5", SEED_EXAMPLE, np.float64, {"temperature": 0.5}),
    ("seed-example-T1", SEED_EXAMPLE, np.float64, {"temperature": 1.0}),
    ("seed-example-T3", SEED_EXAMPLE, np.float64, {"temperature": 3.0}),
    ("random-10-float32", np.random.default_rng(1).normal(size=10) * 2, np.float32, {}),
    (
        "float16-T0.7",
        np.array([3.5, -1.25, 2.0, 2.75, 0.0, -8.0]),
        np.float16,
        {"temperature": 0.7},
    ),
    ("negative-infinity", np.array([1.0, -np.inf, 0.5, -np.inf, 2.0]), np.float64, {}),
    (
        "T-inf",
        np.array([1.0, -np.inf, 50.0, -np.inf, -3e300, 7.0]),
        np.float64,
        {"temperature": np.inf},
    ),
    ("top_k", np.array([1.0, 4.0, 2.5, 3.0, -1.0, 3.5, 0.0, 2.0]), np.float64, {"top_k": 3}),
    (
        "top_p",
        np.array([1.0, 4.0, 2.5, 3.0, -1.0, 3.5, 0.0, 2.0]),
        np.float64,
        {"top_p": 0.9, "temperature": 1.5},
    ),
    (
        "top_k-and-top_p",
        np.array([1.0, 4.0, 2.5, 3.0, -1.0, 3.5, 0.0, 2.0]),
        np.float32,
        {"top_k": 5, "top_p": 0.8},
    ),
]


def expected_distribution(logits: np.ndarray, dtype: Any, kwargs: dict[str, Any]) -> np.ndarray:
    """softmax(x / T) of the logits as the dtype holds them, masked by top_k then top_p."""
    values = np.asarray(logits, dtype=dtype).astype(np.float64)
    compute = np.float32 if np.dtype(dtype).itemsize <= 4 else np.float64
    temperature = float(compute(kwargs.get("temperature", 1.0)))
    if "top_k" in kwargs:
        kth = np.sort(values)[::-1][kwargs["top_k"] - 1]
        values = np.where(values >= kth, values, -np.inf)
    probabilities = reference_probabilities(values, temperature)
    if "top_p" in kwargs:
        kept = nucleus(probabilities, kwargs["top_p"])
        probabilities = reference_probabilities(np.where(kept, values, -np.inf), temperature)
    return probabilities


@pytest.mark.parametrize(
    ("logits", "dtype", "kwargs"),
    [c[1:] for c in FREQUENCY_CASES],
    ids=[c[0] for c in FREQUENCY_CASES],
)
def test_the_frequencies_follow_softmax(logits: np.ndarray, dtype: Any, kwargs: dict[str, Any]):
    counts = draw_counts(np.asarray(logits, dtype=dtype), len(logits), seed=20261201, **kwargs)
    probabilities = expected_distribution(logits, dtype, kwargs)
    assert np.all(counts[probabilities == 0] == 0), (counts, probabilities)
    p_value = chi_square_p_value(counts, probabilities)
    assert p_value > 0.001, (counts, probabilities * DRAWS, p_value)
    # The same draws reject a distribution that is slightly off: the test can fail.
    if "temperature" in kwargs and math.isinf(kwargs["temperature"]):
        wrong = probabilities.copy()
        alive = np.flatnonzero(wrong)
        wrong[alive[0]] *= 1.05
        wrong /= wrong.sum()
    else:
        wrong_kwargs = dict(kwargs, temperature=kwargs.get("temperature", 1.0) * 1.1)
        wrong = expected_distribution(logits, dtype, wrong_kwargs)
    assert chi_square_p_value(counts, wrong) < 1e-6, (counts, wrong * DRAWS)


def test_the_seed_example_draws_went_about_two_thirds_of_the_time():
    counts = draw_counts(SEED_EXAMPLE, 4, seed=20261201)
    assert abs(counts[2] / DRAWS - 0.6652) < 0.005
    assert counts[1] == 0  # "go": probability 1.4e-9


def test_the_chi_square_helper_rejects_and_accepts():
    rng = np.random.default_rng(0)
    probabilities = np.array([0.5, 0.3, 0.2])
    assert chi_square_p_value(rng.multinomial(DRAWS, probabilities), probabilities) > 0.001
    assert chi_square_p_value(rng.multinomial(DRAWS, [0.51, 0.29, 0.2]), probabilities) < 1e-6


# ---------------------------------------------------------------- the limits


def test_temperature_zero_is_the_first_maximal_index():
    rng = np.random.default_rng(2)
    logits = rng.integers(-3, 4, size=(2000, 9)).astype(np.float64)  # many ties
    logits[::7, 3] = -np.inf
    for backend in ("c", "array_api"):
        for seed in (0, 1, 2**64 - 1):
            draws = pysoftmax.sample(logits, temperature=0, seed=seed, backend=backend)
            np.testing.assert_array_equal(draws, np.argmax(logits, axis=-1))


def dtype_cases() -> list[Any]:
    cases = [np.float16, np.float32, np.float64, np.int32]
    if BFLOAT16 is not None:
        cases.append(BFLOAT16)
    return cases


@pytest.mark.parametrize("dtype", dtype_cases(), ids=str)
@pytest.mark.parametrize("backend", ["c", "array_api"])
def test_a_tiny_temperature_is_the_argmax_and_never_nan(dtype: Any, backend: str):
    rng = np.random.default_rng(3)
    logits = np.asarray(rng.permuted(np.tile(np.arange(-40, 40, 4.0), (500, 1)), axis=1), dtype)
    assert all(len(set(row.tolist())) == row.size for row in logits.astype(np.float64))  # one max
    computed_in_float32 = np.dtype(dtype) not in (np.dtype(np.float64), np.dtype(np.int32))
    tiny = [1e-30, float(np.finfo(np.float16).smallest_subnormal)]
    tiny.append(2.0**-149 if computed_in_float32 else 5e-324)
    for temperature in tiny:
        for seed in (5, 6):
            draws = pysoftmax.sample(logits, temperature=temperature, seed=seed, backend=backend)
            np.testing.assert_array_equal(draws, np.argmax(logits.astype(np.float64), axis=-1))


def test_a_tiny_temperature_spreads_over_tied_maxima():
    logits = np.tile([2.0, 7.0, 1.0, 7.0, 7.0], (30_000, 1))
    counts = np.bincount(pysoftmax.sample(logits, temperature=1e-300, seed=1), minlength=5)
    assert counts[0] == counts[2] == 0
    assert chi_square_p_value(counts, np.array([0, 1, 0, 1, 1]) / 3) > 0.001


def test_temperature_infinity_is_uniform_over_the_entries_above_negative_infinity():
    logits = np.array([-np.inf, 1e300, -1e300, 3.0, -np.inf, 0.0])
    counts = draw_counts(logits, 6, temperature=np.inf, seed=4)
    assert counts[0] == counts[4] == 0
    assert chi_square_p_value(counts, np.array([0, 1, 1, 1, 0, 1]) / 4) > 0.001


def test_positive_infinities_share_the_draws():
    logits = np.array([1.0, np.inf, -np.inf, np.inf, 1e308])
    for backend in ("c", "array_api"):
        counts = np.bincount(
            pysoftmax.sample(np.tile(logits, (20_000, 1)), seed=8, backend=backend), minlength=5
        )
        assert counts[0] == counts[2] == counts[4] == 0
        assert chi_square_p_value(counts, np.array([0, 0.5, 0, 0.5, 0])) > 0.001
        assert int(pysoftmax.sample(logits, temperature=0, backend=backend)) == 1


def test_huge_differences_at_a_huge_temperature_keep_their_mass():
    # x - max overflows; (x/2 - max/2) / (T/2) does not: p = [e^-2, 1] / (1 + e^-2).
    for backend in ("c", "array_api"):
        rows = np.tile([-1e308, 1e308], (DRAWS, 1))
        counts = np.bincount(pysoftmax.sample(rows, temperature=1e308, seed=9, backend=backend))
        expected = np.array([math.exp(-2), 1.0]) / (1 + math.exp(-2))
        assert chi_square_p_value(counts, expected) > 0.001


# ---------------------------------------------------------------- top_k and top_p


def test_top_k_keeps_the_ties_with_the_kth_entry_and_never_draws_the_others():
    logits = np.array([5.0, 1.0, 5.0, 5.0, 0.0, 4.0])
    counts = draw_counts(logits, 6, top_k=1, seed=10)
    assert counts[1] == counts[4] == counts[5] == 0
    assert chi_square_p_value(counts, np.array([1, 0, 1, 1, 0, 0]) / 3) > 0.001
    # top_k >= n and top_p = 1 change nothing.
    rows = np.tile(logits, (1000, 1))
    plain = pysoftmax.sample(rows, seed=11)
    np.testing.assert_array_equal(pysoftmax.sample(rows, seed=11, top_k=6), plain)
    np.testing.assert_array_equal(pysoftmax.sample(rows, seed=11, top_k=600), plain)
    np.testing.assert_array_equal(pysoftmax.sample(rows, seed=11, top_p=1.0), plain)


def test_the_nucleus_is_the_smallest_set_that_reaches_top_p():
    # probabilities 0.5, 0.3, 0.15, 0.05 exactly (logs of them as logits)
    logits = np.log(np.array([0.15, 0.5, 0.05, 0.3]))
    for top_p, kept in [(0.5, [1]), (0.79, [1, 3]), (0.81, [0, 1, 3]), (0.96, [0, 1, 2, 3])]:
        masked = _sampling.mask(logits, np, 0, 1.0, None, top_p)
        assert np.flatnonzero(masked > -np.inf).tolist() == kept, top_p
    # T applies first: at T = 100 the four are nearly even, so 0.5 needs two of them.
    masked = _sampling.mask(logits, np, 0, 100.0, None, 0.5)
    assert np.flatnonzero(masked > -np.inf).tolist() == [1, 3]
    # NaN entries stay, so that the draw refuses their row.
    assert np.isnan(_sampling.mask(np.array([1.0, np.nan, 0.0]), np, 0, 1.0, 1, 0.5)[1])


def test_the_masks_agree_with_an_independent_reference():
    rng = np.random.default_rng(12)
    for trial in range(300):
        logits = rng.normal(size=int(rng.integers(2, 40))) * rng.choice([0.3, 3.0, 30.0])
        temperature = float(rng.choice([0.5, 1.0, 2.0]))
        top_k = int(rng.integers(1, logits.size + 1))
        top_p = float(rng.uniform(0.05, 1.0))
        kwargs = {"top_k": top_k, "top_p": top_p, "temperature": temperature}
        expected = expected_distribution(logits, np.float64, kwargs) > 0
        got = _sampling.mask(logits, np, 0, temperature, top_k, top_p) > -np.inf
        np.testing.assert_array_equal(got, expected, err_msg=f"trial {trial}: {kwargs}")


# ---------------------------------------------------------------- reproducibility


def test_the_same_seed_gives_the_same_draws_and_other_seeds_others():
    logits = np.random.default_rng(13).normal(size=(1000, 50)) * 2
    first = pysoftmax.sample(logits, seed=123)
    np.testing.assert_array_equal(pysoftmax.sample(logits, seed=123), first)
    np.testing.assert_array_equal(pysoftmax.sample(logits, seed=np.uint64(123)), first)
    np.testing.assert_array_equal(pysoftmax.sample(logits, seed=np.array(123)), first)
    for other in (124, 2**32 + 123, 2**63 + 123):
        assert np.mean(pysoftmax.sample(logits, seed=other) == first) < 0.5
    # seed=None: a fresh seed each call
    assert np.mean(pysoftmax.sample(logits) == pysoftmax.sample(logits)) < 0.5
    # each row its own noise: the same logits in every row give different draws
    assert len(set(pysoftmax.sample(np.tile(logits[0], (200, 1)), seed=1).tolist())) > 10


def library_cases() -> list[Any]:
    """(id, make the input from numpy, backend=) for every library and path there is here."""
    cases: list[Any] = [("numpy-array_api", lambda a: a, "array_api")]
    if HAVE["torch"]:
        import torch

        cases.append(("torch-cpu", torch.from_numpy, None))
        cases.append(("torch-cpu-array_api", torch.from_numpy, "array_api"))
        cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
        cases.append(
            pytest.param("torch-cuda", lambda a: torch.from_numpy(a).cuda(), None, marks=cuda)
        )
    if HAVE["jax"]:
        cases.append(("jax", "jax", None))
        cases.append(("jax-jit", "jax-jit", None))
    if HAVE["dask"]:
        import dask.array as da

        cases.append(("dask", lambda a: da.from_array(a, chunks=(7, 2, 9)), None))
    if HAVE["array_api_strict"]:
        import array_api_strict

        cases.append(("array-api-strict", array_api_strict.asarray, None))
    try:
        import cupy

        cupy.cuda.runtime.getDeviceCount()
        cases.append(("cupy", cupy.asarray, None))
    except Exception:  # no CuPy, or no GPU for it
        cases.append(pytest.param("cupy", None, None, marks=pytest.mark.skip(reason="no CuPy GPU")))
    return cases


def to_numpy(array: Any) -> np.ndarray:
    if hasattr(array, "compute"):
        array = array.compute()
    if hasattr(array, "get"):
        array = array.get()
    if hasattr(array, "cpu"):
        array = array.cpu()
    return np.asarray(array) if isinstance(array, np.ndarray) else np.from_dlpack(array)


def run_on(make: Any, logits: np.ndarray, backend: str | None, **kwargs: Any) -> np.ndarray:
    if make in ("jax", "jax-jit"):
        import jax

        jax.config.update("jax_enable_x64", True)  # float64 inputs (as the conformance suite)
        array = jax.numpy.asarray(logits)

        def draw(a: Any) -> Any:
            return pysoftmax.sample(a, backend=backend, **kwargs)

        return np.asarray(jax.jit(draw)(array) if make == "jax-jit" else draw(array))
    return to_numpy(pysoftmax.sample(make(logits), backend=backend, **kwargs))


REPRODUCIBILITY_KWARGS = [
    {"temperature": 0.7, "axis": -1},
    {"temperature": 1.0, "axis": 1},
    {"temperature": 2.5, "axis": 0},
    {"temperature": 1.0, "axis": -1, "top_k": 5},
    {"temperature": 1.3, "axis": 1, "top_p": 0.7},
    {"temperature": 0.8, "axis": -1, "top_k": 12, "top_p": 0.9},
    {"temperature": 0.0, "axis": -1},
    {"temperature": math.inf, "axis": -1},
    {"temperature": 1e-30, "axis": -1},
]


@pytest.mark.parametrize(("name", "make", "backend"), library_cases())
def test_every_library_draws_what_the_c_core_draws(name: str, make: Any, backend: str | None):
    logits = np.random.default_rng(14).normal(size=(23, 5, 31)) * 3
    logits[3, 1, ::4] = -np.inf
    logits[5, 2, 7] = np.inf
    logits[6, 0, [2, 9]] = np.inf
    logits[8, 3] = [-1e308, 1e308] * 15 + [0.0]
    for kwargs in REPRODUCIBILITY_KWARGS:
        expected = pysoftmax.sample(logits, seed=2**63 + 5, **kwargs)
        got = run_on(make, logits, backend, seed=2**63 + 5, **kwargs)
        assert got.dtype == np.int64
        np.testing.assert_array_equal(got, expected, err_msg=f"{name}: {kwargs}")


def test_float32_draws_agree_across_libraries():
    logits = (np.random.default_rng(15).normal(size=(400, 40)) * 4).astype(np.float32)
    expected = pysoftmax.sample(logits, seed=3, temperature=0.9)
    np.testing.assert_array_equal(
        pysoftmax.sample(logits, seed=3, temperature=0.9, backend="array_api"), expected
    )
    if HAVE["torch"]:
        import torch

        for backend in (None, "array_api"):
            got = pysoftmax.sample(
                torch.from_numpy(logits), seed=3, temperature=0.9, backend=backend
            )
            np.testing.assert_array_equal(got.numpy(), expected)


@pytest.mark.skipif(not HAVE["jax"], reason="jax is not installed")
def test_jax_vmap_numbers_the_batch_as_leading_rows():
    import jax

    jax.config.update("jax_enable_x64", True)
    logits = np.random.default_rng(16).normal(size=(6, 10, 20))
    mapped = jax.vmap(lambda a: pysoftmax.sample(a, seed=9))(jax.numpy.asarray(logits))
    np.testing.assert_array_equal(np.asarray(mapped), pysoftmax.sample(logits, seed=9))


@pytest.mark.skipif(not HAVE["dask"], reason="dask is not installed")
def test_dask_is_lazy_and_numbers_each_block_in_place():
    import dask.array as da

    logits = np.random.default_rng(17).normal(size=(40, 6, 25))
    logits[33, 4, :] = np.nan
    lazy = pysoftmax.sample(da.from_array(logits, chunks=(9, 4, 7)), axis=-1, seed=1)
    assert isinstance(lazy, da.Array) and lazy.shape == (40, 6)
    with pytest.raises(ValueError, match=r"logits\[33, 4, :\] holds NaN"):
        lazy.compute()  # the error comes when the graph runs
    logits[33, 4, :] = 0.0
    lazy = pysoftmax.sample(da.from_array(logits, chunks=(9, 4, 7)), axis=-1, seed=1, top_k=3)
    np.testing.assert_array_equal(lazy.compute(), pysoftmax.sample(logits, seed=1, top_k=3))


# ---------------------------------------------------------------- the generator


def test_the_array_generator_is_philox4x32_10():
    # Random123 1.14, tests/kat_vectors, the three "philox4x32 10" lines.
    vectors = [
        ([0, 0, 0, 0], [0, 0], [0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8]),
        ([0xFFFFFFFF] * 4, [0xFFFFFFFF] * 2, [0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD]),
        (
            [0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344],
            [0xA4093822, 0x299F31D0],
            [0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1],
        ),
    ]
    for counter, key, expected in vectors:
        words = _sampling.philox4x32_10(np, [np.int64(c) for c in counter], (key[0], key[1]))
        assert [int(w) for w in words] == expected


@pytest.mark.skipif(_core is None, reason="the C core is not built")
def test_the_array_noise_is_the_c_noise_bit_for_bit():
    rng = np.random.default_rng(18)
    seeds = [0, 1, 2**32 - 1, 2**32, 2**63 + 17, 2**64 - 1]
    rows = np.concatenate([np.arange(5), rng.integers(0, 2**62, 60), [2**32 - 1, 2**32, 2**63 - 1]])
    columns = np.concatenate([np.arange(5), rng.integers(0, 2**40, 20), [2**32 - 1, 2**32]])
    import array_api_compat.numpy as xp

    for seed in seeds:
        noise = _sampling.gumbel_noise(xp, seed, rows.reshape(-1, 1), columns.reshape(1, -1))
        c_noise = np.array(
            [[_core.lib.psm_sample_noise(seed, int(r), int(c)) for c in columns] for r in rows]
        )
        np.testing.assert_array_equal(noise.view(np.uint64), c_noise.view(np.uint64))


def test_the_array_logarithm_is_within_one_ulp():
    v = np.concatenate(
        [
            np.random.default_rng(19).uniform(0, 1, 100_000) + 2.0**-60,
            np.random.default_rng(20).uniform(0, 37, 100_000) + 2.0**-60,
            [1 - 2.0**-53, 2.0**-53, 1.0, 2.0, 0.5, math.sqrt(2), np.nextafter(math.sqrt(2), 0)],
        ]
    )
    import array_api_compat.numpy as xp

    got = _sampling._log(xp, v)
    with mpmath.workdps(40):
        exact = np.array([float(mpmath.log(mpmath.mpf(float(value)))) for value in v[::50]])
        spacing = np.spacing(np.abs(exact))
    assert np.max(np.abs(got[::50] - exact) / spacing) <= 1.0


def test_the_noise_is_gumbel():
    import array_api_compat.numpy as xp

    noise = _sampling.gumbel_noise(
        xp,
        77,
        np.arange(400, dtype=np.int64).reshape(-1, 1),
        np.arange(500, dtype=np.int64).reshape(1, -1),
    ).ravel()
    assert noise.min() > -3.61 and noise.max() < 37.0
    # P(g <= t) = exp(-exp(-t)) at a few points, within 5 standard deviations
    for t in (-1.0, 0.0, 0.5, 2.0, 5.0):
        expected = math.exp(-math.exp(-t))
        assert abs(np.mean(noise <= t) - expected) < 5 * math.sqrt(
            expected * (1 - expected) / noise.size
        )


# ---------------------------------------------------------------- shapes, layouts, dtypes


def test_shapes_axes_and_layouts():
    logits = np.random.default_rng(21).normal(size=(6, 7, 8))
    expected = pysoftmax.sample(logits, axis=1, seed=2)
    assert expected.shape == (6, 8)
    np.testing.assert_array_equal(
        pysoftmax.sample(np.moveaxis(logits, 1, -1).copy(), seed=2), expected
    )
    np.testing.assert_array_equal(pysoftmax.sample(logits.astype(">f8"), axis=1, seed=2), expected)
    frozen = logits.copy()
    frozen.flags.writeable = False
    np.testing.assert_array_equal(pysoftmax.sample(frozen, axis=-2, seed=2), expected)
    wide = np.zeros((6, 7, 16))
    wide[..., ::2] = logits
    np.testing.assert_array_equal(pysoftmax.sample(wide[..., ::2], axis=1, seed=2), expected)
    np.testing.assert_array_equal(pysoftmax.sample(logits.tolist(), axis=1, seed=2), expected)
    # one row: a 0-d result; a single entry: index 0; no rows: an empty result
    single = pysoftmax.sample(logits[0, :, 0], seed=2)
    assert single.shape == () and single.dtype == np.int64
    assert int(pysoftmax.sample(np.float32(3.0))) == 0
    empty = pysoftmax.sample(np.zeros((0, 5)))
    assert empty.shape == (0,) and empty.dtype == np.int64


def test_integers_compute_in_the_default_float():
    logits = np.random.default_rng(22).integers(-20, 20, size=(300, 12))
    np.testing.assert_array_equal(
        pysoftmax.sample(logits, seed=3), pysoftmax.sample(logits.astype(np.float64), seed=3)
    )


@pytest.mark.skipif(not HAVE["torch"], reason="torch is not installed")
def test_torch_half_types_and_gradients():
    import torch

    logits = torch.randn(50, 9, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    for dtype in (torch.float16, torch.bfloat16):
        low = logits.to(dtype)
        expected = pysoftmax.sample(low.to(torch.float32).numpy(), seed=4)
        np.testing.assert_array_equal(pysoftmax.sample(low, seed=4).numpy(), expected)
    wanting = logits.clone().requires_grad_(True)
    drawn = pysoftmax.sample(wanting, seed=4)
    assert drawn.dtype == torch.int64 and not drawn.requires_grad


# ---------------------------------------------------------------- rows with no distribution


@pytest.mark.parametrize("backend", ["c", "array_api"])
def test_rows_that_are_no_distribution_are_an_error_naming_them(backend: str):
    logits = np.zeros((5, 4))
    logits[3, 2] = np.nan
    with pytest.raises(ValueError, match=r"1 row\(s\).*logits\[3, :\] holds NaN"):
        pysoftmax.sample(logits, backend=backend)
    with pytest.raises(ValueError, match=r"logits\[:, 2\] holds NaN"):
        pysoftmax.sample(logits, axis=0, backend=backend)
    logits[3, 2] = 0.0
    logits[1] = -np.inf
    logits[4] = -np.inf
    with pytest.raises(ValueError, match=r"2 row\(s\).*logits\[1, :\] has no entry above -inf"):
        pysoftmax.sample(logits, temperature=0, backend=backend)
    many = np.full((9, 3), np.nan)
    with pytest.raises(ValueError, match=r"9 row\(s\).*\(and 4 more\)"):
        pysoftmax.sample(many, backend=backend)
    with pytest.raises(ValueError, match="no entries along axis"):
        pysoftmax.sample(np.zeros((3, 0)), backend=backend)
    # top_k and top_p never hide a NaN
    with pytest.raises(ValueError, match="holds NaN"):
        pysoftmax.sample([1.0, np.nan, 3.0], top_k=1, top_p=0.5, backend=backend)


# ---------------------------------------------------------------- bad arguments

BAD_ARGUMENTS = [
    ({"temperature": -1.0}, ValueError, "temperature"),
    ({"temperature": math.nan}, ValueError, "temperature"),
    ({"temperature": "hot"}, TypeError, "temperature"),
    ({"top_k": 0}, ValueError, "top_k"),
    ({"top_k": -3}, ValueError, "top_k"),
    ({"top_k": 2.5}, TypeError, "top_k"),
    ({"top_k": True}, TypeError, "top_k"),
    ({"top_k": "3"}, TypeError, "top_k"),
    ({"top_p": 0.0}, ValueError, "top_p"),
    ({"top_p": 1.5}, ValueError, "top_p"),
    ({"top_p": -0.2}, ValueError, "top_p"),
    ({"top_p": math.nan}, ValueError, "top_p"),
    ({"top_p": True}, TypeError, "top_p"),
    ({"top_p": "0.9"}, TypeError, "top_p"),
    ({"seed": -1}, ValueError, "seed"),
    ({"seed": 2**64}, ValueError, "seed"),
    ({"seed": 1.5}, TypeError, "seed"),
    ({"seed": True}, TypeError, "seed"),
    ({"seed": "7"}, TypeError, "seed"),
    ({"seed": np.array([7])}, TypeError, "seed"),
    ({"axis": (0, 1)}, TypeError, "axis"),
    ({"axis": None}, TypeError, "axis"),
    ({"axis": 1.0}, TypeError, "axis"),
    ({"axis": 2}, ValueError, "axis"),
    ({"backend": "nope"}, ValueError, "backend"),
]


@pytest.mark.parametrize(("kwargs", "error", "word"), BAD_ARGUMENTS, ids=repr)
def test_bad_arguments_are_refused_naming_them(kwargs: dict[str, Any], error: type, word: str):
    with pytest.raises(error, match=word):
        pysoftmax.sample(np.zeros((2, 3)), **kwargs)


@pytest.mark.parametrize("logits", [np.array([True, False]), np.array([1j, 2j]), np.array(["a"])])
def test_dtypes_that_are_no_logits_are_refused(logits: np.ndarray):
    with pytest.raises(TypeError, match="dtype"):
        pysoftmax.sample(logits)


@pytest.mark.skipif(_core is None, reason="the C core is not built")
def test_the_c_abi_refuses_bad_arguments():
    ffi, lib = _core.ffi, _core.lib
    x = np.zeros((2, 3))
    indices = np.full(2, -7, dtype=np.int64)
    pointer, target = ffi.from_buffer("double[]", x), ffi.from_buffer("int64_t[]", indices)
    assert lib.psm_sample_f64(pointer, 2, 3, -1.0, 0, target) == lib.PSM_E_TEMPERATURE
    assert lib.psm_sample_f64(pointer, 2, 3, math.nan, 0, target) == lib.PSM_E_TEMPERATURE
    assert lib.psm_sample_f64(ffi.NULL, 2, 3, 1.0, 0, target) == lib.PSM_E_NULL_POINTER
    assert lib.psm_sample_f64(pointer, 2, 3, 1.0, 0, ffi.NULL) == lib.PSM_E_NULL_POINTER
    assert lib.psm_sample_f64(pointer, 2**62, 3, 1.0, 0, target) == lib.PSM_E_SIZE_OVERFLOW
    overlapping = ffi.cast("int64_t *", pointer)
    assert lib.psm_sample_f64(pointer, 2, 3, 1.0, 0, overlapping) == lib.PSM_E_OVERLAP
    x[1, :] = -np.inf
    assert lib.psm_sample_f64(pointer, 2, 3, 1.0, 0, target) == lib.PSM_E_NO_DISTRIBUTION
    assert indices.tolist() == [-7, -7]  # nothing written on error
    message = ffi.string(lib.psm_strerror(lib.PSM_E_NO_DISTRIBUTION)).decode()
    assert "NaN" in message and "-inf" in message


# ---------------------------------------------------------------- threads


def test_the_thread_count_changes_no_draw():
    rng = np.random.default_rng(23)
    for shape, axis in [((300, 700), -1), ((40, 9, 500), 1), ((3, 70_000), -1), ((70_000, 3), 0)]:
        logits = rng.normal(size=shape) * 3
        one_call = pysoftmax.sample(logits, axis=axis, seed=5, threads=1)
        assert _sampling._row_blocks(np.arange(900), 700, True)[1][0] > 0  # it is split
        for threads in (2, 3, 8):
            np.testing.assert_array_equal(
                pysoftmax.sample(logits, axis=axis, seed=5, threads=threads), one_call
            )
        np.testing.assert_array_equal(
            pysoftmax.sample(logits, axis=axis, seed=5, backend="array_api"), one_call
        )
    logits = rng.normal(size=(500, 400))
    logits[431, 7] = np.nan
    with pytest.raises(ValueError, match=r"logits\[431, :\] holds NaN"):
        pysoftmax.sample(logits, threads=4)
    with pytest.raises(TypeError, match="threads"):
        pysoftmax.sample(logits, threads=1.5)
    with pytest.raises(ValueError, match="threads"):
        pysoftmax.sample(logits, threads=0)


def test_row_blocks_cover_every_row_once_with_its_number():
    numbers = np.array([5, 6, 7, 8, 20, 21, 22, 40])
    assert _sampling._row_blocks(numbers, 10, False) == [(0, 4, 5), (4, 7, 20), (7, 8, 40)]
    blocks = _sampling._row_blocks(np.arange(10_000), 100, True)
    assert blocks[0] == (0, 328, 0) and len(blocks) <= _sampling.MAX_BLOCKS
    assert [b[0] for b in blocks[1:]] == [b[1] for b in blocks[:-1]] and blocks[-1][1] == 10_000


@pytest.mark.skipif(not HAVE["jax"], reason="jax is not installed")
def test_jax_refuses_rows_with_no_distribution_eagerly_and_under_jit():
    import jax

    logits = jax.numpy.asarray([[1.0, 2.0], [np.nan, 1.0]])
    with pytest.raises(ValueError, match=r"logits\[1, :\] holds NaN"):
        pysoftmax.sample(logits, seed=1)
    with pytest.raises(RuntimeError, match=r"logits\[1, :\] holds NaN"):  # JaxRuntimeError
        jax.jit(lambda a: pysoftmax.sample(a, seed=1))(logits).block_until_ready()
