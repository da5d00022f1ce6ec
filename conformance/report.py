"""Print the worst error over the golden vectors, per implementation, function and dtype.

``python -m conformance.report [--backend NAME] [--no-references]`` prints a
Markdown table: for each of our backends, and for the implementations users
would otherwise reach for (marked "reference, not ours"), the worst ULP over
the random and seed cases (all temperatures, and temperature 1 alone),
whether that meets the 2-ULP bound and in how many cases, and how many
edge-case-table cases it answers as the table says.  The references divide by the temperature first,
``x / T``, as their users do.
"""

from __future__ import annotations

import argparse
import functools
import math
import sys
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

import pysoftmax
from conformance import generate, vectors
from conformance.backends import TESTED_BACKENDS

Function = Callable[..., Any]


def _numpy_textbook(name: str) -> Function:
    def softmax(x: np.ndarray, axis: Any = -1, temperature: float = 1.0) -> np.ndarray:
        z = x / x.dtype.type(temperature)
        e = np.exp(z - np.max(z, axis=axis, keepdims=True))
        return e / np.sum(e, axis=axis, keepdims=True)

    def log_softmax(x: np.ndarray, axis: Any = -1, temperature: float = 1.0) -> np.ndarray:
        return np.log(softmax(x, axis, temperature))

    def logsumexp(x: np.ndarray, axis: Any = -1) -> np.ndarray:
        m = np.max(x, axis=axis, keepdims=True)
        return np.squeeze(m + np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)), axis=axis)

    return {"softmax": softmax, "log_softmax": log_softmax, "logsumexp": logsumexp}[name]


def _scipy(name: str) -> Function:
    import scipy.special

    function = getattr(scipy.special, name)
    if name == "logsumexp":
        return function
    return lambda x, axis=-1, temperature=1.0: function(x / x.dtype.type(temperature), axis=axis)


def _torch(name: str) -> Function:
    import torch

    def call(x: np.ndarray, axis: Any = -1, temperature: float = 1.0) -> np.ndarray:
        t = torch.from_numpy(np.ascontiguousarray(x))
        dims = tuple(range(x.ndim)) if axis is None else axis
        if name == "logsumexp":
            return torch.logsumexp(t, dim=dims).numpy()
        if isinstance(dims, tuple) and len(dims) != 1:
            raise NotImplementedError("torch.softmax reduces one dim")
        dim = dims[0] if isinstance(dims, tuple) else dims
        return getattr(torch, name)(t / temperature, dim=dim).numpy()

    return call


def _jax(name: str) -> Function:
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    function = jax.scipy.special.logsumexp if name == "logsumexp" else getattr(jax.nn, name)

    def call(x: np.ndarray, axis: Any = -1, temperature: float = 1.0) -> np.ndarray:
        z = jnp.asarray(x)
        if name != "logsumexp":
            z = z / x.dtype.type(temperature)
        return np.asarray(function(z, axis=axis))

    return call


REFERENCES: dict[str, Callable[[str], Function]] = {
    "numpy textbook": _numpy_textbook,
    "scipy.special": _scipy,
    "torch": _torch,
    "jax": _jax,
}


def _implementations(backends: list[str], references: bool) -> Iterator[tuple[str, bool, Any]]:
    """(label, ours, factory name -> function or a reason it is missing)."""
    for tested in TESTED_BACKENDS:
        if backends and tested.backend not in backends and tested.id not in backends:
            continue
        reason = tested.missing()

        def ours(name: str, tested: Any = tested) -> Function:
            function = functools.partial(getattr(pysoftmax, name), backend=tested.backend)
            return lambda x, **kwargs: tested.to_numpy(function(tested.asarray_exact(x), **kwargs))

        yield tested.id, True, reason or ours
    if references:
        for label, factory in REFERENCES.items():
            try:
                factory("softmax")
            except ImportError as error:
                yield label, False, f"not installed ({error.name})"
            else:
                yield label, False, factory


def _measure(function: Function, case: vectors.VectorCase) -> float:
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            computed = vectors.run(case, function, lambda a: a, np.asarray)
        except (NotImplementedError, RuntimeError, TypeError, ValueError, ZeroDivisionError):
            return math.nan  # the implementation cannot take this case
    if computed.dtype != np.dtype(case.dtype):
        return math.inf
    return vectors.worst_error(case, computed)


def _ulp_text(error: float) -> str:
    return "inf (NaN or -inf)" if error == math.inf else f"{error:.3g}"


def rows(backends: list[str], references: bool) -> list[list[str]]:
    """The table's rows, one per implementation, function and dtype."""
    cases = vectors.all_cases()
    table = []
    for label, ours, factory in _implementations(backends, references):
        if isinstance(factory, str):
            table.append([label, "", "", "skipped: " + factory, "", "", "", ""])
            continue
        for function_name in generate.FUNCTIONS:
            function = factory(function_name)
            for dtype in ("float32", "float64"):
                selected = [c for c in cases if c.function == function_name and c.dtype == dtype]
                errors = [(c, _measure(function, c)) for c in selected]
                general = [
                    (c, e)
                    for c, e in errors
                    if not c.name.startswith("edge_") and not math.isnan(e)
                ]
                worst = max((e for _, e in general), default=math.nan)
                at_one = [e for c, e in general if c.temperature in (None, 1.0)]
                edges = [e for c, e in errors if c.name.startswith("edge_")]
                table.append(
                    [
                        label + ("" if ours else " (reference, not ours)"),
                        function_name,
                        dtype,
                        _ulp_text(worst),
                        _ulp_text(max(at_one, default=math.nan)),
                        "yes" if worst <= vectors.BOUND_ULP else "**no**",
                        f"{sum(e <= vectors.BOUND_ULP for _, e in general)}/{len(general)}",
                        f"{sum(e <= vectors.BOUND_ULP for e in edges)}/{len(edges)}",
                    ]
                )
    return table


def markdown(table: list[list[str]]) -> str:
    """The rows as a Markdown table."""
    header = [
        "implementation",
        "function",
        "dtype",
        "worst ULP",
        "worst ULP at T = 1",
        "within 2 ULP",
        "cases within 2 ULP",
        "edge cases as the table says",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in table]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the report; exit 1 if one of our backends misses the bound."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--backend", action="append", default=[], help="report on this backend only (repeatable)"
    )
    parser.add_argument(
        "--no-references",
        action="store_true",
        help="leave out numpy textbook, scipy, torch and jax",
    )
    arguments = parser.parse_args(argv)
    table = rows(arguments.backend, not arguments.no_references)
    print(markdown(table))
    ours_failing = [r for r in table if "reference" not in r[0] and r[5] == "**no**"]
    return 1 if ours_failing else 0


if __name__ == "__main__":
    sys.exit(main())
