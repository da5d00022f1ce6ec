"""Benchmark JAX's reverse mode: the C core's backward kernels against the jnp rule they replace.

``jax.grad`` of ``sum(w * f(x))`` for ``f`` softmax or log_softmax, under ``jax.jit``, in
one process, contenders interleaved: every round runs each once, in a shuffled order, and the
table reports the median (and the fastest) round of the process's CPU time, all threads (XLA
runs the computation and the callbacks on its own threads; on a shared machine CPU time is
steadier than wall time, and here every contender is single-threaded: CPU time equals wall
time on an idle machine), and the median wall time.  Contenders:

- ``C kernels``: ``pysoftmax`` as it is (the tangent's transpose is a host callback into
  ``psm_*_backward_strided_*``);
- ``jnp rule``: the same forward callback with the JVP rule in ``jax.numpy`` that reverse mode
  transposes (the JAX backend before the kernels were called), built here from the backend's
  own pieces;
- ``forward only``: ``jax.jit(f)``, the forward callback alone (what both gradients include);
- ``jax.nn``: ``jax.grad`` of ``jax.nn.softmax`` / ``log_softmax`` (not exact: for scale).

``python benchmarks/jax_backward.py [--rounds N] [--rows R --n N] [--dtype float32|float64]``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

import pysoftmax
from pysoftmax._backends import _backward
from pysoftmax._backends import jax as jax_backend


def jnp_rule(function: str) -> Callable[[Any], Any]:
    """Return ``function`` over the last axis with its derivative as the jnp JVP rule."""

    @jax.custom_jvp
    def evaluate(x: Any) -> Any:
        return jax_backend._callback(function, x, (x.ndim - 1,), 1.0)

    @evaluate.defjvp
    def tangent(primals: tuple[Any, ...], tangents: tuple[Any, ...]) -> tuple[Any, Any]:
        (x,), (dx,) = primals, tangents
        y = evaluate(x)
        return y, _backward.jvp(function, y, dx, (x.ndim - 1,), 1.0, jnp)

    return evaluate


def contenders(function: str, dtype: Any, rows: int, n: int) -> dict[str, Callable[[], Any]]:
    """Return the jitted calls of one case, by name, on data made here (normal * 3, fixed seed)."""
    rng = np.random.default_rng(6)
    x = jnp.asarray((rng.normal(size=(rows, n)) * 3).astype(dtype))
    w = jnp.asarray(rng.normal(size=(rows, n)).astype(dtype))

    def gradient(f: Callable[[Any], Any]) -> Callable[[], Any]:
        compiled = jax.jit(jax.grad(lambda v: jnp.sum(w * f(v))))
        return lambda: compiled(x).block_until_ready()

    forward = jax.jit(getattr(pysoftmax, function))
    return {
        "C kernels": gradient(getattr(pysoftmax, function)),
        "jnp rule": gradient(jnp_rule(function)),
        "forward only": lambda: forward(x).block_until_ready(),
        "jax.nn": gradient(getattr(jax.nn, function)),
    }


def measure(
    calls: dict[str, Callable[[], Any]], rounds: int
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Return the CPU and the wall seconds of every call in every round (two warm-ups first)."""
    for call in calls.values():
        call()
        call()
    cpu: dict[str, list[float]] = {name: [] for name in calls}
    wall: dict[str, list[float]] = {name: [] for name in calls}
    names = list(calls)
    for _ in range(rounds):
        random.shuffle(names)
        for name in names:
            start, start_wall = time.process_time(), time.perf_counter()
            calls[name]()
            cpu[name].append(time.process_time() - start)
            wall[name].append(time.perf_counter() - start_wall)
    return cpu, wall


def main() -> None:
    """Measure every case and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=31)
    parser.add_argument("--rows", type=int, default=4096)
    parser.add_argument("--n", type=int, default=1024)
    parser.add_argument("--dtype", choices=["float32", "float64"], nargs="+", default=["float32"])
    options = parser.parse_args()
    if "float64" in options.dtype:
        jax.config.update("jax_enable_x64", True)
    print(f"pysoftmax {pysoftmax.__version__}, jax {jax.__version__}, {jax.devices()[0]}")
    print(f"jax.jit(jax.grad(sum(w * f(x)))), {options.rows}x{options.n}, last axis")
    print(f"CPU time, median (fastest) of {options.rounds} interleaved rounds, ms; [wall]\n")
    names = list(contenders("softmax", np.float32, 2, 8))
    print("| case | " + " | ".join(names) + " | C kernels / jnp rule (CPU, wall) |")
    print("|---|" + "---:|" * (len(names) + 1))
    for dtype in options.dtype:
        for function in ("softmax", "log_softmax"):
            cpu, wall = measure(
                contenders(function, dtype, options.rows, options.n), options.rounds
            )
            medians = {name: statistics.median(s) for name, s in cpu.items()}
            walls = {name: statistics.median(s) for name, s in wall.items()}
            cells = [
                f"{medians[k] * 1e3:.2f} ({min(cpu[k]) * 1e3:.2f}) [{walls[k] * 1e3:.2f}]"
                for k in names
            ]
            ratio = medians["C kernels"] / medians["jnp rule"]
            wall_ratio = walls["C kernels"] / walls["jnp rule"]
            row = f"| {function} {dtype} | " + " | ".join(cells)
            print(row + f" | {ratio:.2f}, {wall_ratio:.2f} |")


if __name__ == "__main__":
    main()
