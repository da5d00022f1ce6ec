"""Read the golden vectors and check an implementation's outputs against them.

The reader of the format that ``conformance/README.md`` describes, for
Python; ``csrc/tests/test_golden.c`` is the reader for C.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from conformance import reference
from conformance.generate import FORMAT_LINE, VECTORS, recipe_values

BOUND_ULP = 2
KEYS = {
    "case",
    "function",
    "dtype",
    "shape",
    "axis",
    "temperature",
    "input",
    "input_recipe",
    "expected",
    "expected_at",
    "scale",
}


@dataclass(frozen=True)
class VectorCase:
    """One case of a vector file."""

    name: str
    function: str
    dtype: str
    shape: tuple[int, ...]
    axis: tuple[int, ...] | None
    temperature: float | None
    input: np.ndarray
    expected: dict[int, float]  # flat index -> expected value (every index, or a sample)
    scale: list[float] | None  # logsumexp: the scale each output's error is measured on

    @property
    def id(self) -> str:
        return f"{self.function}-{self.dtype}-{self.name}"

    def output_shape(self) -> tuple[int, ...]:
        """The shape of the result: logsumexp drops the reduced axes."""
        if self.function != "logsumexp":
            return self.shape
        if self.axis is None:
            return ()
        reduced = {a % len(self.shape) for a in self.axis}
        return tuple(d for a, d in enumerate(self.shape) if a not in reduced)

    def axis_argument(self) -> int | tuple[int, ...] | None:
        """The ``axis`` to pass to a softmax function."""
        if self.axis is None:
            return None
        return self.axis[0] if len(self.axis) == 1 else self.axis


def _float(text: str) -> float:
    return float.fromhex(text) if "0x" in text else float(text)


def _parse_case(lines: list[str]) -> VectorCase:
    fields: dict[str, str] = {}
    for line in lines:
        key, _, rest = line.partition(" ")
        if key not in KEYS:
            raise ValueError(f"unknown key {key!r} in: {line[:80]}")
        if key in fields:
            raise ValueError(f"key {key!r} repeated in case {fields.get('case', '?')!r}")
        fields[key] = rest.strip()
    dtype = fields["dtype"]
    shape = tuple(int(d) for d in fields["shape"].split())
    if "input_recipe" in fields:
        kind, seed, low, high = fields["input_recipe"].split()
        if kind != "uniform":
            raise ValueError(f"unknown recipe {kind!r}")
        values = recipe_values(int(seed), _float(low), _float(high), math.prod(shape))
    else:
        values = [_float(v) for v in fields["input"].split()]
    if "expected" in fields:
        expected = dict(enumerate(_float(v) for v in fields["expected"].split()))
    else:
        expected = {
            int(i): _float(v)
            for i, _, v in (pair.partition(":") for pair in fields["expected_at"].split())
        }
    axis = None if fields["axis"] == "none" else tuple(int(a) for a in fields["axis"].split())
    return VectorCase(
        name=fields["case"],
        function=fields["function"],
        dtype=dtype,
        shape=shape,
        axis=axis,
        temperature=_float(fields["temperature"]) if "temperature" in fields else None,
        input=np.asarray(values, dtype=np.float64).astype(dtype).reshape(shape),
        expected=expected,
        scale=[_float(v) for v in fields["scale"].split()] if "scale" in fields else None,
    )


def read(path: Path) -> Iterator[VectorCase]:
    """The cases of one vector file."""
    lines = path.read_text().splitlines()
    if not lines or lines[0] != FORMAT_LINE:
        raise ValueError(f"{path}: not a '{FORMAT_LINE}' file")
    block: list[str] = []
    for line in lines[1:]:
        if not line.strip() or line.startswith("#"):
            continue
        if line == "end":
            yield _parse_case(block)
            block = []
        else:
            block.append(line)


def all_cases() -> list[VectorCase]:
    """Every case of every vector file."""
    return [case for path in sorted(VECTORS.glob("*.txt")) for case in read(path)]


def worst_error(case: VectorCase, computed: np.ndarray) -> float:
    """The case's worst error in ULP: ``inf`` for a wrong NaN, shape or special value.

    softmax and log_softmax: the distance to the correctly rounded value, in
    representable numbers.  logsumexp: ``|computed - expected|`` in ULPs of
    the case's scale, ``max(|max|, log S)``.
    """
    flat = np.asarray(computed, dtype=np.float64).reshape(-1)
    if np.asarray(computed).shape != case.output_shape():
        return math.inf
    worst = 0.0
    for index, expected in case.expected.items():
        value = float(flat[index])
        if math.isnan(expected) or math.isnan(value) or math.isinf(expected) or math.isinf(value):
            if not (value == expected or (math.isnan(value) and math.isnan(expected))):
                return math.inf
            continue
        if case.scale is None:
            error = float(reference.ulp_distance(value, expected, case.dtype))
        else:
            error = abs(value - expected) / reference.ulp(case.scale[index], case.dtype)
        worst = max(worst, error)
    return worst


def run(
    case: VectorCase,
    function: Callable[..., Any],
    asarray: Callable[[np.ndarray], Any],
    to_numpy: Callable[[Any], np.ndarray],
) -> np.ndarray:
    """Call ``function`` (a softmax, log_softmax or logsumexp) on the case's input."""
    kwargs: dict[str, Any] = {"axis": case.axis_argument()}
    if case.temperature is not None:
        kwargs["temperature"] = case.temperature
    return to_numpy(function(asarray(case.input), **kwargs))
