"""Rebuild the golden vectors in conformance/vectors/ from first principles.

``python -m conformance.generate`` writes them; ``--check`` only compares and
exits 1 if a committed file differs.  Every input comes from splitmix64 and
IEEE additions, multiplications and divisions (no libm), so the inputs, and
hence the files, are the same on every platform; every expected value is
mpmath's result at 256 bits, correctly rounded to the case's dtype.  The
format is described in conformance/README.md.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import mpmath
import numpy as np

from conformance import reference

VECTORS = Path(__file__).resolve().parent / "vectors"
FORMAT_LINE = "pysoftmax-vectors 1"
FUNCTIONS = ("softmax", "log_softmax", "logsumexp")
DTYPES = ("float32", "float64")
LENGTHS = (1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 255, 256, 257, 4097, 100_003)
TEMPERATURES = (1e-3, 0.37, 1.0, 6.5, 100.0, 1e6)
FULL_EXPECTED_UP_TO = 5000  # longer rows store expected values at sampled indices
SAMPLES = 400


class SplitMix64:
    """The splitmix64 generator: the only source of randomness, easy to write in any language."""

    def __init__(self, seed: int) -> None:
        self.state = seed % 2**64

    def next(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) % 2**64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) % 2**64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) % 2**64
        return z ^ (z >> 31)

    def uniform(self) -> float:
        """A double in [0, 1): the top 53 bits times 2**-53, exactly."""
        return (self.next() >> 11) * 2.0**-53


def recipe_values(seed: int, low: float, high: float, count: int) -> list[float]:
    """The ``uniform`` recipe: ``low + (high - low) * u`` in double, u from splitmix64."""
    generator = SplitMix64(seed)
    return [low + (high - low) * generator.uniform() for _ in range(count)]


def random_row(generator: SplitMix64, kind: str, length: int) -> list[float]:
    """A row of a named distribution, from basic IEEE operations only."""

    def normal() -> float:  # Irwin-Hall: the sum of 12 uniforms, minus 6
        return sum(generator.uniform() for _ in range(12)) - 6.0

    if kind == "normal_1":
        return [normal() for _ in range(length)]
    if kind == "normal_10":
        return [10.0 * normal() for _ in range(length)]
    if kind == "normal_100":
        return [100.0 * normal() for _ in range(length)]
    if kind == "uniform":
        return [-50.0 + 100.0 * generator.uniform() for _ in range(length)]
    if kind == "heavy_tailed":  # a ratio of uniforms: Cauchy-like tails
        return [
            (generator.uniform() - 0.5) / (generator.uniform() + 2.0**-20) for _ in range(length)
        ]
    if kind == "near_ties":
        return [1.0 + (generator.uniform() - 0.5) * 2.0**-40 for _ in range(length)]
    if kind == "huge_offset":
        return [1e4 + normal() for _ in range(length)]
    if kind == "exp_limits":  # differences near exp's underflow: subnormal outputs
        offsets = (0.0, -80.0, -87.0, -100.0, -103.0, -700.0, -708.0, -740.0, -744.0)
        return [
            offsets[generator.next() % len(offsets)] + generator.uniform() for _ in range(length)
        ]
    if kind == "large_magnitude":  # near the overflow limit of exp's argument, either sign
        return [(generator.uniform() - 0.5) * 1400.0 for _ in range(length)]
    raise ValueError(kind)


KINDS = (
    "normal_1",
    "normal_10",
    "normal_100",
    "uniform",
    "heavy_tailed",
    "near_ties",
    "huge_offset",
    "exp_limits",
    "large_magnitude",
)


@dataclass
class Case:
    """One golden vector, before its expected values are computed."""

    name: str
    function: str
    dtype: str
    shape: tuple[int, ...]
    axis: tuple[int, ...] | None
    temperature: float | None
    values: list[float] = field(default_factory=list)
    recipe: tuple[int, float, float] | None = None  # (seed, low, high) of the uniform recipe
    symbolic: list[str] | None = None  # expected values named by the edge-case table


def as_dtype(value: float, dtype: str) -> float:
    """``value`` rounded to ``dtype`` (without numpy's overflow warning)."""
    with np.errstate(over="ignore"):
        return float(np.asarray(value, dtype=dtype))


def hex_value(value: float) -> str:
    """A float as the format writes it: C99 hex, or inf, -inf, nan."""
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return float.hex(value)


def symbolic_value(text: str) -> mpmath.mpf:
    """The exact value a table entry names: nan, inf, a decimal, 1/k, -log(k) or log(k)."""
    fraction = re.fullmatch(r"1/(\d+)", text)
    if fraction:
        return mpmath.mpf(1) / int(fraction.group(1))
    logarithm = re.fullmatch(r"(-?)log\((\d+)\)", text)
    if logarithm:
        value = mpmath.log(int(logarithm.group(2)))
        return -value if logarithm.group(1) else value
    return mpmath.mpf(text)


def _rows(values: np.ndarray, shape: tuple[int, ...], axis: tuple[int, ...] | None):
    """The case's input as (rows x n, the moved shape, the reduced axes)."""
    array = values.reshape(shape)
    axes = tuple(range(len(shape))) if axis is None else tuple(a % len(shape) for a in axis)
    kept = len(shape) - len(axes)
    moved = np.moveaxis(array, axes, tuple(range(kept, len(shape))))
    return moved.reshape(math.prod(moved.shape[:kept]), -1), moved.shape, axes


def expected(case: Case) -> tuple[list[float], list[float] | None]:
    """Return the case's expected outputs (row-major) and, for logsumexp, the error scales."""
    if case.symbolic is not None:
        return [
            reference.round_to_dtype(symbolic_value(t), case.dtype) for t in case.symbolic
        ], None
    values = np.asarray(
        case.values if case.recipe is None else recipe_values(*case.recipe, math.prod(case.shape)),
        dtype=np.float64,
    )
    values = values.astype(case.dtype).astype(np.float64)
    if not case.shape:  # 0-d: a row of one
        values = values.reshape(1)
        rows, moved_shape, axes = values.reshape(1, 1), (1,), (0,)
    else:
        rows, moved_shape, axes = _rows(values, case.shape, case.axis)
    outputs, scales = [], []
    for row in rows:
        if case.function == "logsumexp":
            exact, scale = reference.logsumexp(row)
            outputs.append(reference.round_to_dtype(exact, case.dtype))
            scales.append(reference.round_to_dtype(scale, case.dtype))
        else:
            exact_row = getattr(reference, case.function)(row, case.temperature)
            outputs.extend(reference.round_to_dtype(v, case.dtype) for v in exact_row)
    if case.function == "logsumexp":
        return outputs, scales
    kept = len(moved_shape) - len(axes)
    restored = np.moveaxis(
        np.asarray(outputs).reshape(moved_shape), tuple(range(kept, len(moved_shape))), axes
    )
    return restored.reshape(-1).tolist(), None


def edge_cases() -> Iterator[Case]:
    """Every case of the edge-case table, for each function it names and each dtype."""
    table = json.loads(resources.files("pysoftmax").joinpath("edge_cases.json").read_text())
    for rule in table["rules"]:
        for index, entry in enumerate(rule["cases"]):
            zero_dimensional = not isinstance(entry["x"], list)
            values = [float(entry["x"])] if zero_dimensional else [float(v) for v in entry["x"]]
            for function in FUNCTIONS:
                if function not in entry:
                    continue
                symbolic = (
                    entry[function] if isinstance(entry[function], list) else [entry[function]]
                )
                for dtype in DTYPES:
                    yield Case(
                        name=f"edge_{rule['id']}_{index}",
                        function=function,
                        dtype=dtype,
                        shape=() if zero_dimensional else (len(values),),
                        axis=None if zero_dimensional else (-1,),
                        temperature=None
                        if function == "logsumexp"
                        else as_dtype(float(entry["temperature"]), dtype),
                        values=values,
                        symbolic=symbolic,
                    )


def seed_examples() -> Iterator[Case]:
    """The seed tutorial's examples."""
    examples = [
        ("seed_overflow", "softmax", [10.0, 2.0, 10000.0, 4.0], 1.0),
        ("seed_max_shift", "softmax", [10.0, 2.0, 40.0, 4.0], 1.0),
        ("seed_log_softmax_largest_entry", "log_softmax", [0.0, -30.0, -40.0], 1.0),
        ("seed_the_boy_sharp", "softmax", [38.0, 20.0, 40.0, 39.0], 1e-3),
        ("seed_the_boy", "softmax", [38.0, 20.0, 40.0, 39.0], 1.0),
        ("seed_the_boy_flat", "softmax", [38.0, 20.0, 40.0, 39.0], 100.0),
        ("seed_logsumexp_overflow", "logsumexp", [1000.0, 1000.0], None),
    ]
    for name, function, values, temperature in examples:
        for dtype in DTYPES:
            yield Case(
                name,
                function,
                dtype,
                (len(values),),
                (-1,),
                None if temperature is None else as_dtype(temperature, dtype),
                values,
            )


def random_cases() -> Iterator[Case]:
    """Random rows: every length with every distribution in turn, every temperature in turn."""
    generator = SplitMix64(20261125)
    counter = 0
    for dtype in DTYPES:
        for function in FUNCTIONS:
            for length in LENGTHS:
                for repeat in range(2 if length < 4097 else 1):
                    kind = KINDS[counter % len(KINDS)] if length < 4097 else "uniform_recipe"
                    temperature = TEMPERATURES[counter % len(TEMPERATURES)]
                    counter += 1
                    name = f"random_{kind}_n{length}_{repeat}"
                    temperature_value = (
                        None if function == "logsumexp" else as_dtype(temperature, dtype)
                    )
                    case = Case(name, function, dtype, (length,), (-1,), temperature_value)
                    if length >= 4097:
                        case.recipe = (generator.next(), -20.0, 20.0)
                    else:
                        case.values = random_row(generator, kind, length)
                    yield case
            # Several rows at once, and axes other than the last.
            for shape, axis in (
                ((5, 7), (-1,)),
                ((7, 5), (0,)),
                ((3, 4, 5), (0, 2)),
                ((2, 3, 4), None),
                ((4, 6), (1,)),
            ):
                kind = KINDS[counter % len(KINDS)]
                temperature = TEMPERATURES[counter % len(TEMPERATURES)]
                counter += 1
                axis_name = "all" if axis is None else "_".join(str(a) for a in axis)
                yield Case(
                    f"random_{kind}_shape{'x'.join(map(str, shape))}_axis{axis_name}",
                    function,
                    dtype,
                    shape,
                    axis,
                    None if function == "logsumexp" else as_dtype(temperature, dtype),
                    random_row(generator, kind, math.prod(shape)),
                )


def all_cases() -> list[Case]:
    """Every case, in the order they are written."""
    return [*seed_examples(), *edge_cases(), *random_cases()]


def render(case: Case) -> str:
    """The case in the vector format."""
    outputs, scales = expected(case)
    lines = [
        f"case {case.name}",
        f"function {case.function}",
        f"dtype {case.dtype}",
        "shape" + "".join(f" {d}" for d in case.shape),
        "axis " + ("none" if case.axis is None else " ".join(str(a) for a in case.axis)),
    ]
    if case.temperature is not None:
        lines.append(f"temperature {hex_value(case.temperature)}")
    if case.recipe is None:
        values = [as_dtype(v, case.dtype) for v in case.values]
        lines.append("input" + "".join(f" {hex_value(v)}" for v in values))
    else:
        seed, low, high = case.recipe
        lines.append(f"input_recipe uniform {seed} {hex_value(low)} {hex_value(high)}")
    if len(outputs) <= FULL_EXPECTED_UP_TO:
        lines.append("expected" + "".join(f" {hex_value(v)}" for v in outputs))
    else:
        step = len(outputs) // SAMPLES
        indices = sorted(
            {*range(0, len(outputs), step), len(outputs) - 1, int(np.argmax(np.asarray(outputs)))}
        )
        lines.append("expected_at " + " ".join(f"{i}:{hex_value(outputs[i])}" for i in indices))
    if scales is not None:
        lines.append("scale" + "".join(f" {hex_value(v)}" for v in scales))
    lines.append("end")
    return "\n".join(lines) + "\n"


def files() -> dict[str, str]:
    """The contents of every vector file, by file name."""
    header = (
        f"{FORMAT_LINE}\n# Generated by `python -m conformance.generate`; do not edit.\n"
        "# Format: conformance/README.md.\n"
    )
    contents: dict[str, list[str]] = {f"{f}_{d}.txt": [header] for f in FUNCTIONS for d in DTYPES}
    for case in all_cases():
        contents[f"{case.function}_{case.dtype}.txt"].append("\n" + render(case))
    return {name: "".join(parts) for name, parts in contents.items()}


def main(argv: list[str] | None = None) -> int:
    """Write the vector files, or with ``--check`` report whether they are up to date."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="compare with the committed files instead of writing them",
    )
    arguments = parser.parse_args(argv)
    stale = []
    for name, text in files().items():
        path = VECTORS / name
        if arguments.check:
            if not path.exists() or path.read_text() != text:
                stale.append(name)
        else:
            VECTORS.mkdir(exist_ok=True)
            path.write_text(text)
    if stale:
        print("out of date: " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
