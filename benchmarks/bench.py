"""Benchmark pysoftmax against a plain copy, numpy, scipy, torch and JAX (issue 6).

Everything runs in one process and the contenders are interleaved: for each case every
contender is warmed up, then each of R rounds runs every contender once (in a shuffled order),
so that machine noise hits them all alike; the tables report the median of the R samples and
the bars compare those medians. Everyone gets the same data (normal * 3, fixed seed),
allocated once per case. ``benchmarks/README.md`` describes the contenders and the bars;
``python benchmarks/bench.py --help`` lists the options.
"""

from __future__ import annotations

import argparse
import datetime
import functools
import gc
import importlib
import importlib.util
import inspect
import itertools
import json
import math
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

import pysoftmax

SEED = 6
MIN_THREADED = 1024  # entries: below this, far below where pysoftmax uses threads, no threads=
SCALE = 3.0
ROUNDS = {False: 15, True: 3}  # interleaved rounds per case, by --quick
WARMUP = {False: 2, True: 1}  # untimed calls per contender before the rounds
SAMPLE_S = {False: 0.02, True: 0.005}  # a fast call is looped until a sample lasts this long
SWEEP_TOTAL = {False: 1 << 22, True: 1 << 18}  # elements per point of the row-length sweep
SWEEP_LENGTHS = {False: [4**k for k in range(12)], True: [1, 16, 256, 4096, 1 << 18]}
SHAPES: list[tuple[tuple[int, ...], int]] = [  # (shape, axis), for float32 and float64
    ((4096, 1024), -1),
    ((64, 32000), -1),  # vocabulary-sized rows
    ((1, 4_000_000), -1),
    ((1024, 4096), 0),
    ((10,), -1),  # the cost of one call
]


# --- the machine and the libraries ------------------------------------------------------------


def all_cores() -> int:
    """Return the number of cores this process may use (its CPU affinity, else the count)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def cpuinfo() -> dict[str, str]:
    """Return the first processor's fields of ``/proc/cpuinfo`` (empty where there is none)."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return {}
    pairs = (line.split(":", 1) for line in lines if ":" in line)
    fields: dict[str, str] = {}
    for key, value in pairs:
        fields.setdefault(key.strip(), value.strip())
    return fields


def cpu_model() -> str:
    """Return the CPU's model name, from ``/proc/cpuinfo`` or else ``platform``."""
    fields = cpuinfo()
    for key in ("model name", "Model", "Hardware", "cpu model"):
        if key in fields:
            return fields[key]
    return platform.processor() or platform.machine() or "unknown"


def cpu_extensions() -> list[str]:
    """Return which of sse4_2, avx2, fma, avx512f, asimd and sve the CPU reports."""
    fields = cpuinfo()
    flags = set((fields.get("flags") or fields.get("Features") or "").split())
    return [name for name in ("sse4_2", "avx2", "fma", "avx512f", "asimd", "sve") if name in flags]


def pysoftmax_isa() -> str:
    """Return what ``pysoftmax.isa()`` or ``_core.lib.psm_isa()`` reports, else "unknown"."""
    isa = getattr(pysoftmax, "isa", None)
    if callable(isa):
        return str(isa())
    try:
        core = importlib.import_module("pysoftmax._core")
        query = getattr(core.lib, "psm_isa", None)
        if query is None:
            return "unknown"
        value = query()
        return str(value) if isinstance(value, str | int) else core.ffi.string(value).decode()
    except Exception as error:  # asking for the ISA must never stop the benchmark
        return f"unknown ({type(error).__name__}: {error})"


def threads_supported() -> bool:
    """Say whether ``pysoftmax.softmax`` takes a ``threads=`` argument."""
    return "threads" in inspect.signature(pysoftmax.softmax).parameters


@dataclass
class Peers:
    """The optional libraries that could be imported, and a note for each that could not."""

    scipy_special: ModuleType | None
    torch: ModuleType | None
    jax: ModuleType | None
    cupy: ModuleType | None
    notes: list[str]


def optional_module(name: str, notes: list[str]) -> ModuleType | None:
    """Import a module, or append to ``notes`` why it is skipped and return None."""
    if importlib.util.find_spec(name.split(".")[0]) is None:
        notes.append(f"{name} skipped: not installed")
        return None
    try:
        return importlib.import_module(name)
    except Exception as error:  # installed but broken: skip its contenders all the same
        notes.append(f"{name} skipped: {type(error).__name__}: {error}")
        return None


def import_peers() -> Peers:
    """Import scipy.special, torch, JAX (with float64 enabled) and CuPy where installed."""
    notes: list[str] = []
    modules = [optional_module(name, notes) for name in ("scipy.special", "torch", "jax", "cupy")]
    scipy_special, torch, jax, cupy = modules
    if jax is not None:
        jax.config.update("jax_enable_x64", True)  # float64 stays float64; float32 unchanged
    return Peers(scipy_special, torch, jax, cupy, notes)


def versions(peers: Peers) -> dict[str, str]:
    """Return the versions of Python, pysoftmax, numpy and each peer found."""
    found = {
        "python": platform.python_version(),
        "pysoftmax": pysoftmax.__version__,
        "numpy": np.__version__,
    }
    if peers.scipy_special is not None:
        found["scipy"] = importlib.import_module("scipy").__version__
    for name in ("torch", "jax", "cupy"):
        module = getattr(peers, name)
        if module is not None:
            found[name] = str(module.__version__)
    return found


def torch_cuda_available(peers: Peers) -> bool:
    """Say whether torch is installed and sees a CUDA device."""
    return peers.torch is not None and bool(peers.torch.cuda.is_available())


def cupy_available(peers: Peers) -> bool:
    """Say whether CuPy is installed and sees a device."""
    if peers.cupy is None:
        return False
    try:
        return int(peers.cupy.cuda.runtime.getDeviceCount()) > 0
    except Exception:  # no driver or no device: CuPy raises its own runtime error
        return False


def gpu_name(peers: Peers) -> str | None:
    """Return the name of the first CUDA device that torch or CuPy sees, or None."""
    if torch_cuda_available(peers):
        assert peers.torch is not None
        return str(peers.torch.cuda.get_device_name(0))
    if cupy_available(peers):
        assert peers.cupy is not None
        name = peers.cupy.cuda.runtime.getDeviceProperties(0)["name"]
        return name.decode() if isinstance(name, bytes) else str(name)
    return None


# --- cases and contenders ---------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One input: its dtype, its shape, the axis that softmax reduces, and its device."""

    dtype: str
    shape: tuple[int, ...]
    axis: int = -1
    device: str = "cpu"

    @property
    def name(self) -> str:
        """The case's name in tables, bars and JSON, e.g. ``float32 4096x1024 axis -1``."""
        shape = "x".join(map(str, self.shape)) if len(self.shape) > 1 else f"({self.shape[0]},)"
        device = "" if self.device == "cpu" else f"{self.device} "
        return f"{device}{self.dtype} {shape} axis {self.axis}"

    @property
    def nbytes(self) -> int:
        """The size of the input in bytes."""
        return math.prod(self.shape) * np.dtype(self.dtype).itemsize


def cases(device: str = "cpu") -> list[Case]:
    """Return issue 6's cases (``SHAPES``) in float32, then in float64."""
    dtypes = ("float32", "float64")
    return [Case(dtype, shape, axis, device) for dtype in dtypes for shape, axis in SHAPES]


def sweep_cases(total: int, lengths: Sequence[int]) -> list[Case]:
    """Return float32 cases of ``total // length`` rows of each length (a fixed total size)."""
    return [Case("float32", (max(1, total // length), length)) for length in lengths]


def make_input(case: Case) -> np.ndarray:
    """Return the case's input on the host: standard normal * 3, fixed seed, C order."""
    rng = np.random.default_rng(SEED)
    x: np.ndarray = (rng.standard_normal(case.shape) * SCALE).astype(case.dtype)
    return x


def _do_nothing() -> None:
    pass


@dataclass(frozen=True)
class Contender:
    """One implementation bound to one input.

    ``call`` computes one result and returns once it is ready (device work synchronized);
    ``prepare`` runs before each sample, untimed (it sets torch's thread count).
    """

    key: str
    label: str
    call: Callable[[], object]
    prepare: Callable[[], None] = _do_nothing


@dataclass(frozen=True)
class Ours:
    """The pysoftmax contenders: their keys, and the thread count of the multi-threaded one.

    Without ``threads=`` support a single contender, pysoftmax with its default threads,
    stands for both "1 thread" and "all cores".
    """

    supported: bool
    threads: int

    @property
    def one(self) -> str:
        """The key of the single-thread contender."""
        return "pysoftmax-1" if self.supported else "pysoftmax"

    @property
    def many(self) -> str:
        """The key of the multi-threaded contender (the single-thread one if there is none)."""
        return "pysoftmax-n" if self.supported and self.threads > 1 else self.one

    def label(self, key: str) -> str:
        """Return the label of one of the two keys."""
        if not self.supported:
            return "pysoftmax (default threads)"
        return (
            "pysoftmax (1 thread)"
            if key == "pysoftmax-1"
            else f"pysoftmax ({self.threads} threads)"
        )

    def call(self, x: Any, axis: int, key: str) -> Callable[[], object]:
        """Return the call of pysoftmax on ``x`` that the contender ``key`` times.

        An array too small for threads (fewer entries than ``MIN_THREADED``) is called as torch
        is, ``softmax(x, axis)``: ``threads=`` changes nothing there, and a keyword bound by
        ``functools.partial`` costs 0.16 us a call (measured), half a 10-entry call's margin.
        """
        if not self.supported or x.size < MIN_THREADED:
            return functools.partial(pysoftmax.softmax, x, axis)
        softmax: Callable[..., object] = pysoftmax.softmax  # threads= is not in every version
        return functools.partial(
            softmax, x, axis, threads=1 if key == "pysoftmax-1" else self.threads
        )


def pysoftmax_contenders(x: np.ndarray, axis: int, ours: Ours) -> list[Contender]:
    """Return pysoftmax with one thread and with ``--threads`` (one contender if they agree)."""
    keys = dict.fromkeys([ours.one, ours.many])
    return [Contender(key, ours.label(key), ours.call(x, axis, key)) for key in keys]


def same_rows_on_last_axis(x: np.ndarray, axis: int, ours: Ours) -> Contender:
    """Return single-thread pysoftmax on a contiguous copy of ``moveaxis(x, axis, -1)``.

    The same rows, the same arithmetic, only the layout differs: the bar on a reduction over
    axis 0 compares the two.
    """
    moved = np.ascontiguousarray(np.moveaxis(x, axis, -1))
    label = f"{ours.label(ours.one)}, same rows on the last axis"
    return Contender("pysoftmax-last-axis", label, ours.call(moved, -1, ours.one))


def copy_contender(x: np.ndarray) -> Contender:
    """Return ``np.copyto`` into a preallocated array: the floor set by memory bandwidth."""
    out = np.empty_like(x)
    return Contender("copy", "copy (np.copyto)", functools.partial(np.copyto, out, x))


def numpy_textbook(x: np.ndarray, axis: int) -> np.ndarray:
    """Return softmax as most code computes it: ``exp(x - max) / sum``."""
    e: np.ndarray = np.exp(x - np.max(x, axis=axis, keepdims=True))
    e /= np.sum(e, axis=axis, keepdims=True)
    return e


def numpy_contenders(x: np.ndarray, axis: int, peers: Peers) -> list[Contender]:
    """Return the numpy textbook softmax and ``scipy.special.softmax`` where installed."""
    found = [Contender("numpy", "numpy textbook", functools.partial(numpy_textbook, x, axis))]
    if peers.scipy_special is not None:
        call = functools.partial(peers.scipy_special.softmax, x, axis=axis)
        found.append(Contender("scipy", "scipy.special.softmax", call))
    return found


def torch_cpu_contenders(x: np.ndarray, axis: int, torch: ModuleType) -> list[Contender]:
    """Return ``torch.softmax`` on ``torch.from_numpy(x)`` with 1 thread and with all cores."""
    call = functools.partial(torch.softmax, torch.from_numpy(x), axis)
    found = [Contender("torch-1", "torch (1 thread)", call, lambda: torch.set_num_threads(1))]
    cores = all_cores()
    if cores > 1:
        all_threads = functools.partial(torch.set_num_threads, cores)
        found.append(Contender("torch-all", f"torch ({cores} threads)", call, all_threads))
    return found


def jax_contender(x: np.ndarray, axis: int, jax: ModuleType) -> Contender:
    """Return ``jax.jit(jax.nn.softmax)`` on an array put on the device once.

    Each call blocks until its result is ready; compiling happens in the warm-up.
    """
    device_x = jax.device_put(jax.numpy.asarray(x))
    compiled = jax.jit(functools.partial(jax.nn.softmax, axis=axis))

    def call() -> object:
        return compiled(device_x).block_until_ready()

    return Contender("jax-jit", "jax.jit(jax.nn.softmax)", call)


def cpu_contenders(case: Case, x: np.ndarray, peers: Peers, ours: Ours) -> list[Contender]:
    """Return every CPU contender of a case, all bound to the same data ``x``.

    pysoftmax (and, for a reduction over another axis than the last, pysoftmax on the same
    rows along the last axis), the copy, numpy, scipy, torch and JAX.
    """
    found = pysoftmax_contenders(x, case.axis, ours)
    if case.axis not in (-1, x.ndim - 1):
        found.append(same_rows_on_last_axis(x, case.axis, ours))
    found.append(copy_contender(x))
    found += numpy_contenders(x, case.axis, peers)
    if peers.torch is not None:
        found += torch_cpu_contenders(x, case.axis, peers.torch)
    if peers.jax is not None:
        found.append(jax_contender(x, case.axis, peers.jax))
    return found


def synchronized(
    function: Callable[[], object], sync: Callable[[], object]
) -> Callable[[], object]:
    """Return ``function`` followed by ``sync``: a device call that returns when done."""

    def call() -> object:
        result = function()
        sync()
        return result

    return call


def torch_cuda_contenders(x: np.ndarray, axis: int, torch: ModuleType) -> list[Contender]:
    """Return pysoftmax on a CUDA tensor, a device copy and ``torch.softmax`` on CUDA."""
    device_x = torch.from_numpy(x).to("cuda")
    out = torch.empty_like(device_x)
    sync = torch.cuda.synchronize
    calls = {
        "pysoftmax-torch-cuda": functools.partial(pysoftmax.softmax, device_x, axis),
        "copy": functools.partial(out.copy_, device_x),
        "torch-cuda": functools.partial(torch.softmax, device_x, axis),
    }
    labels = {
        "pysoftmax-torch-cuda": "pysoftmax (torch CUDA tensor)",
        "copy": "copy (CUDA, Tensor.copy_)",
        "torch-cuda": "torch.softmax (CUDA)",
    }
    return [Contender(key, labels[key], synchronized(call, sync)) for key, call in calls.items()]


def cupy_contenders(x: np.ndarray, axis: int, cupy: ModuleType, copy: bool) -> list[Contender]:
    """Return pysoftmax on a CuPy array, and with ``copy`` a CuPy device copy too."""
    device_x = cupy.asarray(x)
    out = cupy.empty_like(device_x)

    def sync() -> None:
        cupy.cuda.get_current_stream().synchronize()

    softmax = synchronized(functools.partial(pysoftmax.softmax, device_x, axis), sync)
    found = [Contender("pysoftmax-cupy", "pysoftmax (CuPy array)", softmax)]
    if copy:
        device_copy = synchronized(functools.partial(cupy.copyto, out, device_x), sync)
        found.append(Contender("copy", "copy (CUDA, cupy.copyto)", device_copy))
    return found


def gpu_contenders(case: Case, x: np.ndarray, peers: Peers) -> list[Contender]:
    """Return every CUDA contender of a case: through torch and through CuPy where they work."""
    found: list[Contender] = []
    with_torch = torch_cuda_available(peers)
    if with_torch:
        assert peers.torch is not None
        found += torch_cuda_contenders(x, case.axis, peers.torch)
    if cupy_available(peers):
        assert peers.cupy is not None
        found += cupy_contenders(x, case.axis, peers.cupy, copy=not with_torch)
    return found


# --- timing -----------------------------------------------------------------------------------


@dataclass
class Measurement:
    """The samples (seconds per call) of one contender in one case."""

    key: str
    label: str
    calls_per_sample: int
    samples: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        """The median time per call, in seconds."""
        return statistics.median(self.samples)

    @property
    def spread(self) -> float:
        """The interquartile range over the median (the range, under four samples)."""
        if len(self.samples) < 4:
            return (max(self.samples) - min(self.samples)) / self.median
        low, _, high = statistics.quantiles(self.samples, n=4)
        return (high - low) / self.median


def _no_progress(case: Case) -> None:
    pass


@dataclass(frozen=True)
class Settings:
    """How long to measure: rounds per case, warm-up calls, least duration of a sample.

    ``before_case`` is told each case before it is measured (the command line's progress bar).
    """

    rounds: int
    warmup: int
    sample_s: float
    before_case: Callable[[Case], None] = _no_progress


def time_sample(contender: Contender, calls: int) -> float:
    """Return the time per call of ``calls`` calls in a row (perf_counter, collector off)."""
    contender.prepare()
    call = contender.call
    gc.disable()
    try:
        start = time.perf_counter()
        for _ in range(calls):
            call()
        elapsed = time.perf_counter() - start
    finally:
        gc.enable()
    return elapsed / calls


def calls_per_sample(contender: Contender, settings: Settings) -> int:
    """Warm a contender up, then return how many calls make a sample of ``sample_s``."""
    contender.prepare()
    for _ in range(settings.warmup):
        contender.call()
    once = time_sample(contender, 1)
    return max(1, min(1_000_000, math.ceil(settings.sample_s / max(once, 1e-9))))


def measure(
    contenders: Sequence[Contender], settings: Settings, notes: list[str]
) -> list[Measurement]:
    """Measure contenders interleaved: each round runs each once, in a shuffled order.

    The order is shuffled anew each round (seeded), so that no contender always follows the
    same one (whose leftovers, spinning threads or a dirty cache, it would always pay for). A
    contender that fails in its warm-up is left out, with a note.
    """
    ready: list[tuple[Contender, Measurement]] = []
    for contender in contenders:
        try:
            calls = calls_per_sample(contender, settings)
        except Exception as error:  # a contender that cannot run is reported, not fatal
            notes.append(f"{contender.label} skipped: {type(error).__name__}: {error}")
            continue
        ready.append((contender, Measurement(contender.key, contender.label, calls)))
    shuffler = random.Random(SEED)
    for _ in range(settings.rounds):
        for contender, measurement in shuffler.sample(ready, len(ready)):
            measurement.samples.append(time_sample(contender, measurement.calls_per_sample))
    return [measurement for _, measurement in ready]


@dataclass
class CaseResult:
    """The measurements of one case, and the key of the pysoftmax contender ratios use."""

    case: Case
    measurements: list[Measurement]
    reference: str

    def median(self, key: str) -> float | None:
        """Return a contender's median time per call, or None if it did not run."""
        found = [m.median for m in self.measurements if m.key == key]
        return found[0] if found else None

    def ratio(self, numerator: str, denominator: str) -> float | None:
        """Return the ratio of two contenders' medians, or None if either did not run."""
        top, bottom = self.median(numerator), self.median(denominator)
        return None if top is None or bottom is None else top / bottom

    def label(self, key: str) -> str:
        """Return a contender's label (its key if it did not run)."""
        return next((m.label for m in self.measurements if m.key == key), key)


Builder = Callable[[Case, np.ndarray], list[Contender]]


def run_cases(
    to_run: Sequence[Case], build: Builder, reference: str, settings: Settings, notes: list[str]
) -> list[CaseResult]:
    """Measure each case in turn: allocate its input, build its contenders, time them."""
    results = []
    for case in to_run:
        settings.before_case(case)
        contenders = build(case, make_input(case))
        results.append(CaseResult(case, measure(contenders, settings, notes), reference))
    return results


# --- bars -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    """A ratio of two contenders' medians in one case, and the bound it must meet."""

    case: str
    numerator: str
    denominator: str
    relation: str  # "<=" or ">="
    bound: float
    goal: bool = False  # a goal is reported but never fails --check


@dataclass(frozen=True)
class Verdict:
    """A bar, the ratio measured, PASS, FAIL or SKIP, and a sentence that says it."""

    bar: Bar
    value: float | None
    status: str
    text: str


def bars(ours: Ours) -> list[Bar]:
    """Return issue 6's bars.

    Speed-ups are ``peer / pysoftmax >= bound``, costs ``pysoftmax / peer <= bound``.
    """
    one, many = ours.one, ours.many
    f32 = "float32 4096x1024 axis -1"
    axis0 = "float32 1024x4096 axis 0"
    return [
        Bar(f32, "torch-1", one, ">=", 1.5),
        Bar(f32, "torch-1", one, ">=", 2.0, goal=True),
        Bar(f32, one, "copy", "<=", 2.0, goal=True),
        Bar("float64 4096x1024 axis -1", "torch-1", one, ">=", 2.0),
        Bar(f32, many, "jax-jit", "<=", 0.8),
        Bar(axis0, one, "pysoftmax-last-axis", "<=", 1.3),
        Bar(axis0, "torch-1", one, ">=", 3.0),
        Bar("float32 64x32000 axis -1", "torch-1", one, ">=", 1.5),
        Bar("float32 1x4000000 axis -1", "torch-1", one, ">=", 1.5),
        Bar("float32 (10,) axis -1", one, "torch-1", "<=", 1.5),
    ]


def judge(bar: Bar, results: Sequence[CaseResult]) -> Verdict:
    """Evaluate a bar on the measured medians (SKIP when its case or a contender is missing)."""
    found = next((result for result in results if result.case.name == bar.case), None)
    need = f"need {bar.relation} {bar.bound:g}"
    if found is None:
        return Verdict(bar, None, "SKIP", f"{bar.case}: not measured ({need})")
    ratio = f"{found.label(bar.numerator)} / {found.label(bar.denominator)}"
    value = found.ratio(bar.numerator, bar.denominator)
    if value is None:
        return Verdict(bar, None, "SKIP", f"{bar.case}: {ratio}: not measured ({need})")
    met = value <= bar.bound if bar.relation == "<=" else value >= bar.bound
    text = f"{bar.case}: {ratio} = {value:.3g} ({need})"
    return Verdict(bar, value, "PASS" if met else "FAIL", text)


# --- output -----------------------------------------------------------------------------------


def format_time(seconds: float) -> str:
    """Return a duration in s, ms, µs or ns, with three significant digits."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds * 1e9:.3g} ns"


def format_ratio(value: float | None) -> str:
    """Return a ratio with three significant digits, or "-" when there is none."""
    return "-" if value is None else f"{value:.3g}"


def markdown_table(result: CaseResult) -> str:
    """Return one case's Markdown table: median, ratios to pysoftmax and to the copy, spread."""
    lines = [
        f"### {result.case.name}",
        "",
        f"| contender | median | / {result.label(result.reference)} | / copy | GB/s | IQR |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for m in result.measurements:
        to_reference = format_ratio(result.ratio(m.key, result.reference))
        to_copy = format_ratio(result.ratio(m.key, "copy"))
        rate = result.case.nbytes / m.median / 1e9
        lines.append(
            f"| {m.label} | {format_time(m.median)} | {to_reference} | {to_copy} "
            f"| {rate:.3g} | {m.spread:.0%} |"
        )
    return "\n".join(lines)


def throughputs(results: Sequence[CaseResult]) -> dict[str, list[tuple[int, float]]]:
    """Return, per contender label, (row length, GB/s of input) for each sweep point."""
    curves: dict[str, list[tuple[int, float]]] = {}
    for result in results:
        for m in result.measurements:
            rate = result.case.nbytes / m.median / 1e9
            curves.setdefault(m.label, []).append((result.case.shape[-1], rate))
    return curves


def sweep_table(results: Sequence[CaseResult]) -> str:
    """Return the sweep as a Markdown table: GB/s per row length (rows) and contender."""
    curves = throughputs(results)
    lines = ["| row length | " + " | ".join(curves) + " |", "|---:|" + "---:|" * len(curves)]
    for result in results:
        length = result.case.shape[-1]
        cells = [f"{dict(points).get(length, math.nan):.3g}" for points in curves.values()]
        lines.append(f"| {length} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def describe_environment(peers: Peers, ours: Ours, settings: Settings) -> dict[str, Any]:
    """Return the date, the machine, the versions and the method of this run (for JSON)."""
    if ours.supported:
        threads = f"supported (rows with 1 and with {ours.threads} threads)"
    else:
        threads = "not supported by this version (its rows run with its default threads)"
    return {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "cpu": cpu_model(),
        "cores": all_cores(),
        "machine": platform.machine(),
        "cpu_extensions": cpu_extensions(),
        "pysoftmax_isa": pysoftmax_isa(),
        "pysoftmax_threads": threads,
        "PYSOFTMAX_NUM_THREADS": os.environ.get("PYSOFTMAX_NUM_THREADS"),
        "versions": versions(peers),
        "gpu": gpu_name(peers),
        "settings": {
            "rounds": settings.rounds,
            "warmup_calls": settings.warmup,
            "min_sample_s": settings.sample_s,
        },
        "argv": sys.argv[1:],
    }


def header(env: dict[str, Any]) -> str:
    """Return the report's header: date, CPU, cores, ISA, versions and method."""
    libraries = ", ".join(f"{name} {version}" for name, version in env["versions"].items())
    extensions = " ".join(env["cpu_extensions"]) or "unknown"
    settings = env["settings"]
    lines = [
        "# pysoftmax benchmarks",
        "",
        f"- date: {env['date']}",
        f"- CPU: {env['cpu']}, {env['cores']} cores ({env['machine']}; {extensions})",
        f"- GPU: {env['gpu'] or 'none seen by torch or CuPy'}",
        f"- pysoftmax ISA: {env['pysoftmax_isa']}; threads=: {env['pysoftmax_threads']}",
        f"- {libraries}",
        f"- method: {settings['rounds']} interleaved rounds after {settings['warmup_calls']} "
        f"warm-up call(s), samples of at least {format_time(settings['min_sample_s'])}; "
        "medians; ratios are of medians",
    ]
    if env["PYSOFTMAX_NUM_THREADS"] is not None:
        lines.append(f"- PYSOFTMAX_NUM_THREADS={env['PYSOFTMAX_NUM_THREADS']}")
    return "\n".join(lines)


def case_json(result: CaseResult) -> dict[str, Any]:
    """Return one case's measurements, samples and ratios as JSON-ready data."""
    case = result.case
    contenders = [
        {
            "key": m.key,
            "label": m.label,
            "median_s": m.median,
            "min_s": min(m.samples),
            "iqr_over_median": m.spread,
            "calls_per_sample": m.calls_per_sample,
            "samples_s": m.samples,
            "ratio_to_pysoftmax": result.ratio(m.key, result.reference),
            "ratio_to_copy": result.ratio(m.key, "copy"),
            "input_gb_per_s": case.nbytes / m.median / 1e9,
        }
        for m in result.measurements
    ]
    return {
        "name": case.name,
        "device": case.device,
        "dtype": case.dtype,
        "shape": list(case.shape),
        "axis": case.axis,
        "reference": result.reference,
        "contenders": contenders,
    }


def verdict_json(verdict: Verdict) -> dict[str, Any]:
    """Return one bar, its measured ratio and its status as JSON-ready data."""
    bar = verdict.bar
    return {
        "case": bar.case,
        "numerator": bar.numerator,
        "denominator": bar.denominator,
        "relation": bar.relation,
        "bound": bar.bound,
        "goal": bar.goal,
        "value": verdict.value,
        "status": verdict.status,
        "text": verdict.text,
    }


def length_label(length: int) -> str:
    """Return a row length for an axis tick: 1, 16, 256, 4K, 64K, 1M."""
    for suffix, scale in (("M", 1 << 20), ("K", 1 << 10)):
        if length >= scale and length % scale == 0:
            return f"{length // scale}{suffix}"
    return str(length)


def plot(results: Sequence[CaseResult], env: dict[str, Any], path: Path) -> None:
    """Write a PNG of throughput (GB/s of input) against row length, for a fixed total size."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(11, 6), dpi=120)
    for label, points in throughputs(results).items():
        ours = label.startswith("pysoftmax")
        x, y = zip(*points, strict=True)
        axes.plot(x, y, "-o" if ours else "--.", linewidth=2.8 if ours else 1.2, label=label)
    lengths = [result.case.shape[-1] for result in results]
    total = math.prod(results[0].case.shape)
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xticks(lengths, [length_label(n) for n in lengths])
    axes.minorticks_off()
    axes.set_xlabel(f"row length (rows x length = {length_label(total)} elements)")
    axes.set_ylabel("throughput (GB/s of float32 input)")
    axes.set_title(
        f"softmax over the last axis, float32: {env['date'][:10]}, {env['cpu']}, "
        f"{env['cores']} cores\npysoftmax {env['versions']['pysoftmax']}, "
        f"ISA {env['pysoftmax_isa']}",
        fontsize=10,
    )
    axes.grid(True, which="major", alpha=0.3)
    axes.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


# --- the run ----------------------------------------------------------------------------------


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse the command line (see ``--help``); refuse ``--plot`` without matplotlib."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few repeats: a smoke test")
    parser.add_argument("--rounds", type=int, help="interleaved rounds per case (15; quick: 3)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="write everything as JSON")
    parser.add_argument("--plot", type=Path, metavar="PATH", help="write a PNG of throughput")
    parser.add_argument(
        "--threads",
        type=int,
        metavar="N",
        default=all_cores(),
        help="threads of pysoftmax's multi-threaded rows, where it takes threads= (all cores)",
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if a bar (not a goal) fails")
    arguments = parser.parse_args(argv)
    if arguments.plot is not None and importlib.util.find_spec("matplotlib") is None:
        parser.error("--plot needs matplotlib: pip install matplotlib (or pip install '.[bench]')")
    if arguments.threads < 1 or (arguments.rounds is not None and arguments.rounds < 1):
        parser.error("--threads and --rounds must be at least 1")
    return arguments


def print_section(title: str, body: str) -> None:
    """Print a Markdown section at once (so that a long run shows its progress)."""
    print(f"## {title}\n\n{body}\n", flush=True)


def run_cpu(peers: Peers, ours: Ours, settings: Settings, notes: list[str]) -> list[CaseResult]:
    """Run the CPU cases, printing each table when it is done."""

    def build(case: Case, x: np.ndarray) -> list[Contender]:
        return cpu_contenders(case, x, peers, ours)

    print("## CPU\n", flush=True)
    results = []
    for case in cases():
        results += run_cases([case], build, ours.one, settings, notes)
        print(markdown_table(results[-1]), end="\n\n", flush=True)
    return results


def run_gpu(peers: Peers, settings: Settings, notes: list[str]) -> list[CaseResult]:
    """Run the CUDA cases where torch or CuPy sees a device, printing each table."""
    if gpu_name(peers) is None:
        notes.append("GPU section skipped: neither torch nor CuPy sees a CUDA device")
        return []
    reference = "pysoftmax-torch-cuda" if torch_cuda_available(peers) else "pysoftmax-cupy"

    def build(case: Case, x: np.ndarray) -> list[Contender]:
        return gpu_contenders(case, x, peers)

    print(f"## CUDA ({gpu_name(peers)})\n", flush=True)
    results = []
    for case in cases("cuda"):
        results += run_cases([case], build, reference, settings, notes)
        print(markdown_table(results[-1]), end="\n\n", flush=True)
    return results


def run_sweep(
    peers: Peers, ours: Ours, settings: Settings, quick: bool, notes: list[str]
) -> list[CaseResult]:
    """Run the row-length sweep for the plot and print its throughput table."""

    def build(case: Case, x: np.ndarray) -> list[Contender]:
        return cpu_contenders(case, x, peers, ours)

    total = SWEEP_TOTAL[quick]
    to_run = sweep_cases(total, SWEEP_LENGTHS[quick])
    results = run_cases(to_run, build, ours.one, settings, notes)
    title = f"Throughput against row length (float32, {length_label(total)} elements, GB/s)"
    print_section(title, sweep_table(results))
    return results


def report_bars(verdicts: Sequence[Verdict], ours: Ours) -> str:
    """Return the bars section: one PASS, FAIL or SKIP line per bar."""
    lines = [f"- {v.status}{' (goal)' if v.bar.goal else ''}: {v.text}" for v in verdicts]
    if not ours.supported:
        lines.append(
            "- (pysoftmax takes no threads= yet: its default threads stand for both "
            '"1 thread" and "all cores")'
        )
    return "\n".join(lines)


Progress = Callable[[int, int, str], None]


def main(argv: Sequence[str] | None = None, progress: Progress | None = None) -> int:
    """Run the benchmark and print its report; return 1 under ``--check`` if a bar fails.

    ``progress``, where given, is called with (cases measured, cases in all, the next case's
    name) before each case, and with (all, all, "measured") once they are all done.
    """
    arguments = parse_arguments(argv)
    quick = arguments.quick
    rounds = arguments.rounds or ROUNDS[quick]
    peers = import_peers()
    planned = len(cases()) + len(SWEEP_LENGTHS[quick])
    planned += len(cases("cuda")) if gpu_name(peers) is not None else 0
    counter = itertools.count()

    def before_case(case: Case) -> None:
        if progress is not None:
            progress(next(counter), planned, case.name)

    settings = Settings(rounds, WARMUP[quick], SAMPLE_S[quick], before_case)
    sweep_settings = Settings(max(1, rounds // 5), 1, SAMPLE_S[quick], before_case)
    ours = Ours(threads_supported(), arguments.threads)
    notes = list(peers.notes)
    environment = describe_environment(peers, ours, settings)
    print(header(environment), end="\n\n", flush=True)
    started = time.perf_counter()
    cpu = run_cpu(peers, ours, settings, notes)
    gpu = run_gpu(peers, settings, notes)
    sweep = run_sweep(peers, ours, sweep_settings, quick, notes)
    if progress is not None:
        progress(planned, planned, "measured")
    if peers.torch is not None:
        peers.torch.set_num_threads(all_cores())
    verdicts = [judge(bar, cpu) for bar in bars(ours)]
    print_section("Bars", report_bars(verdicts, ours))
    notes.append(f"measured in {time.perf_counter() - started:.0f} s")
    if arguments.plot is not None:
        plot(sweep, environment, arguments.plot)
        notes.append(f"plot written to {arguments.plot}")
    if arguments.json is not None:
        document = {
            "environment": environment,
            "cases": [case_json(result) for result in cpu + gpu],
            "sweep": [case_json(result) for result in sweep],
            "bars": [verdict_json(verdict) for verdict in verdicts],
            "notes": notes,
        }
        arguments.json.write_text(json.dumps(document, indent=2) + "\n")
        notes.append(f"JSON written to {arguments.json}")
    print_section("Notes", "\n".join(f"- {note}" for note in notes))
    failed = [v for v in verdicts if v.status == "FAIL" and not v.bar.goal]
    return 1 if arguments.check and failed else 0


if __name__ == "__main__":
    sys.exit(main())
