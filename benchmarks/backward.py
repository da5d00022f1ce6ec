"""Benchmark the backward kernels against the forward ones, and against torch's backward.

One thread (``torch.set_num_threads(1)``; pysoftmax's C calls are single calls), one process,
contenders interleaved: every round runs each contender once, in a shuffled order, and the
table reports the median of the rounds (and the fastest round) of the calling thread's CPU
time (``time.thread_time``: on a shared machine steadier than wall time, and with one thread
all the work is there).  Per case (function, dtype,
shape over the last axis):

- ``C forward``: ``psm_<function>_<dtype>`` into a preallocated output;
- ``C backward``: ``psm_<function>_backward_<dtype>`` into a preallocated output;
- ``torch forward`` / ``torch backward``: ``torch.softmax`` and torch's own backward kernel
  (``torch._softmax_backward_data``, ``torch._log_softmax_backward_data``), allocating;
- ``pysoftmax autograd backward``: ``torch.autograd.grad`` through ``pysoftmax.<function>``
  on a CPU tensor (the graph built once, kept): the C backward plus autograd's own cost;
- ``copy``: ``numpy.copyto`` of one input array (the memory traffic of reading it once).

``python benchmarks/backward.py [--rounds N] [--rows R --n N]``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable

import numpy as np
import torch

import pysoftmax
from pysoftmax import _core

FUNCTIONS = ["softmax", "log_softmax"]


def c_call(name: str, arrays: list[np.ndarray], rows: int, n: int, temperature: float) -> Callable:
    """Return a call of the C function ``name`` on these arrays (the last one written)."""
    ffi, lib = _core.ffi, _core.lib
    ctype = "float *" if arrays[0].dtype == np.float32 else "double *"
    pointers = [ffi.from_buffer(ctype, a) for a in arrays]
    function = getattr(lib, name)

    def run() -> None:
        status = function(*pointers, rows, n, temperature)
        assert status == 0

    return run


def contenders(function: str, dtype: type, rows: int, n: int) -> dict[str, Callable]:
    """Return the calls of one case, by name, on data made here (normal * 3, fixed seed)."""
    rng = np.random.default_rng(6)
    suffix = "f32" if dtype == np.float32 else "f64"
    x = (rng.normal(size=(rows, n)) * 3).astype(dtype)
    dy = rng.normal(size=(rows, n)).astype(dtype)
    out = np.empty_like(x)
    tx, tdy = torch.from_numpy(x), torch.from_numpy(dy)
    leaf = tx.clone().requires_grad_()
    graph = getattr(pysoftmax, function)(leaf, threads=1)
    ty = graph.detach()  # every backward contender reads this same y (and dy)
    y = ty.numpy()
    torch_forward = torch.softmax if function == "softmax" else torch.log_softmax
    torch_backward = (
        torch._softmax_backward_data if function == "softmax" else torch._log_softmax_backward_data
    )
    return {
        "C forward": c_call(f"psm_{function}_{suffix}", [x, out], rows, n, 1.0),
        "C backward": c_call(f"psm_{function}_backward_{suffix}", [y, dy, out], rows, n, 1.0),
        "torch forward": lambda: torch_forward(tx, -1),
        "torch backward": lambda: torch_backward(tdy, ty, -1, tx.dtype),
        "pysoftmax autograd backward": lambda: torch.autograd.grad(
            graph, leaf, tdy, retain_graph=True
        ),
        "copy": lambda: np.copyto(out, x),
    }


def measure(calls: dict[str, Callable], rounds: int) -> dict[str, list[float]]:
    """Return the seconds of every call in every round (two warm-up calls each first)."""
    for call in calls.values():  # warm up
        call()
        call()
    samples: dict[str, list[float]] = {name: [] for name in calls}
    names = list(calls)
    for _ in range(rounds):
        random.shuffle(names)
        for name in names:
            start = time.thread_time()
            calls[name]()
            samples[name].append(time.thread_time() - start)
    return samples


def main() -> None:
    """Measure every case and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=41)
    parser.add_argument("--rows", type=int, default=4096)
    parser.add_argument("--n", type=int, default=1024)
    options = parser.parse_args()
    torch.set_num_threads(1)
    print(f"pysoftmax {pysoftmax.__version__}, {_core.ffi.string(_core.lib.psm_isa()).decode()}")
    print(f"kernels, torch {torch.__version__}, 1 thread, {options.rows}x{options.n}, last axis")
    print(f"CPU time, median (fastest) of {options.rounds} interleaved rounds, ms\n")
    names = list(contenders("softmax", np.float32, 2, 8))
    print("| case | " + " | ".join(names) + " | C backward / C forward |")
    print("|---|" + "---:|" * (len(names) + 1))
    for dtype in (np.float32, np.float64):
        for function in FUNCTIONS:
            calls = contenders(function, dtype, options.rows, options.n)
            samples = measure(calls, options.rounds)
            medians = {name: statistics.median(s) for name, s in samples.items()}
            cells = [
                f"{medians[name] * 1e3:.2f} ({min(samples[name]) * 1e3:.2f})" for name in names
            ]
            ratio = medians["C backward"] / medians["C forward"]
            label = f"{function} {np.dtype(dtype).name}"
            print(f"| {label} | " + " | ".join(cells) + f" | {ratio:.2f} |")


if __name__ == "__main__":
    main()
