"""Issue 8's speed bar: the masked, per-row-temperature and backward paths against the forward pass.

    python3 benchmarks/options.py [--rounds 15] [--shape 4096 1024] [--threads 1] [--check]

Every contender runs on the same input in one process, interleaved round by round; the table
gives each one's median time and its ratio to the plain forward call of the same function
(bar: at most 1.3). Times are the calling thread's CPU time (``time.thread_time``) as well as
wall time: on a shared machine the CPU time is the steadier of the two, and with threads=1 the
work is all on the calling thread.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import pysoftmax

BAR = 1.3


@dataclass
class Contender:
    """A call to time, and the plain call its time is compared with."""

    name: str
    baseline: str
    call: Callable[[], object]


def contenders(shape: tuple[int, int], threads: int) -> list[Contender]:
    """Return the calls of the bar, on float32 data of ``shape`` (rows x n)."""
    rng = np.random.default_rng(20261201)
    x = rng.normal(size=shape).astype(np.float32) * 3
    where = rng.random(shape) < 0.9  # a mask per entry, 10% masked
    padding = np.arange(shape[1]) < shape[1] * 3 // 4  # one per column: padded sequences
    temperatures = rng.uniform(0.5, 2.0, size=(shape[0], 1)).astype(np.float32)
    kw = {"threads": threads}
    found: list[Contender] = []
    for function in ("softmax", "log_softmax"):
        f = getattr(pysoftmax, function)
        found += [
            Contender(f"{function}", function, lambda f=f: f(x, **kw)),
            Contender(
                f"{function} where=(per entry)", function, lambda f=f: f(x, where=where, **kw)
            ),
            Contender(
                f"{function} where=(per column)", function, lambda f=f: f(x, where=padding, **kw)
            ),
            Contender(
                f"{function} per-row T", function, lambda f=f: f(x, temperature=temperatures, **kw)
            ),
            Contender(
                f"{function} where= and per-row T",
                function,
                lambda f=f: f(x, where=where, temperature=temperatures, **kw),
            ),
        ]
    found += [
        Contender("logsumexp", "logsumexp", lambda: pysoftmax.logsumexp(x, **kw)),
        Contender(
            "logsumexp where=", "logsumexp", lambda: pysoftmax.logsumexp(x, where=where, **kw)
        ),
    ]
    found += backward_contenders(x, threads)
    return found


def backward_contenders(x: np.ndarray, threads: int) -> list[Contender]:
    """Return the torch forward and backward passes, when torch is installed."""
    try:
        import torch
    except ImportError:
        return []
    torch.set_num_threads(threads)
    tensor = torch.from_numpy(x.copy())
    upstream = torch.from_numpy(np.random.default_rng(1).normal(size=x.shape).astype(np.float32))
    found = []
    for function in ("softmax", "log_softmax"):
        f = getattr(pysoftmax, function)

        def backward(f: Callable[..., object] = f) -> None:
            leaf = tensor.detach().requires_grad_()
            y = f(leaf, threads=threads)
            y.backward(upstream)  # type: ignore[attr-defined]

        def forward(f: Callable[..., object] = f) -> None:
            with torch.no_grad():
                f(tensor, threads=threads)

        found += [
            Contender(f"torch {function} forward", f"torch {function}", forward),
            Contender(f"torch {function} forward + backward", f"torch {function}", backward),
        ]
    return found


def measure(found: list[Contender], rounds: int) -> dict[str, tuple[float, float]]:
    """Median (CPU, wall) seconds of each contender over interleaved rounds."""
    samples: dict[str, list[tuple[float, float]]] = {c.name: [] for c in found}
    for contender in found:
        contender.call()  # warm up: imports, first-touch of buffers
    for _ in range(rounds):
        for contender in found:
            cpu, wall = time.thread_time(), time.perf_counter()
            contender.call()
            samples[contender.name].append((time.thread_time() - cpu, time.perf_counter() - wall))
    return {
        name: (statistics.median(s[0] for s in values), statistics.median(s[1] for s in values))
        for name, values in samples.items()
    }


def main(argv: list[str] | None = None) -> int:
    """Measure, print the table; with ``--check``, return 1 when a ratio exceeds the bar."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--shape", type=int, nargs=2, default=[4096, 1024])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--check", action="store_true", help="exit 1 if a ratio exceeds the bar")
    args = parser.parse_args(argv)
    found = contenders((args.shape[0], args.shape[1]), args.threads)
    times = measure(found, args.rounds)
    print(
        f"float32 {args.shape[0]}x{args.shape[1]}, threads={args.threads}, "
        f"{args.rounds} interleaved rounds; ratio = time / the plain call's (bar <= {BAR})\n"
    )
    print("| call | CPU ms | ratio | wall ms | ratio |")
    print("|---|---:|---:|---:|---:|")
    failed = False
    for contender in found:
        cpu, wall = times[contender.name]
        base_name = {c.baseline: c.name for c in reversed(found)}[contender.baseline]
        base_cpu, base_wall = times[base_name]
        ratio = cpu / base_cpu
        failed |= "forward + backward" not in contender.name and ratio > BAR
        print(
            f"| {contender.name} | {cpu * 1e3:.2f} | {ratio:.2f} | {wall * 1e3:.2f} | "
            f"{wall / base_wall:.2f} |"
        )
    print(
        "\nforward + backward rows: the ratio is (forward + backward) / forward; the bar holds "
        "when it is at most 1 + 1.3 (a backward within 1.3x of the forward)."
    )
    for contender in found:
        if "forward + backward" in contender.name:
            base = times[{c.baseline: c.name for c in reversed(found)}[contender.baseline]][0]
            failed |= times[contender.name][0] / base > 1.0 + BAR
    return 1 if failed and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
