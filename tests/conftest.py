"""Fixtures: each test that takes ``library`` runs once per backend and array library."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import pysoftmax


@dataclass(frozen=True)
class Library:
    """A backend together with the array library whose arrays it is tested on."""

    backend: str
    module: Any

    def asarray(self, values: Any, dtype: Any = np.float64) -> Any:
        array = np.asarray(values, dtype=dtype)
        if self.module is np:
            return array
        return self.module.asarray(array)

    def to_numpy(self, array: Any) -> np.ndarray:
        if isinstance(array, np.ndarray | np.generic):
            return np.asarray(array)
        return np.from_dlpack(array)


def _libraries() -> list[Any]:
    cases = [pytest.param(Library("c", np), id="c-numpy")]
    try:
        import array_api_strict
    except ImportError:
        cases.append(
            pytest.param(
                None,
                id="array_api-strict",
                marks=pytest.mark.skip(reason="array-api-strict not installed"),
            )
        )
    else:
        cases.append(pytest.param(Library("array_api", array_api_strict), id="array_api-strict"))
    cases.append(pytest.param(Library("array_api", np), id="array_api-numpy"))
    return cases


@pytest.fixture(params=_libraries())
def library(request: pytest.FixtureRequest) -> Library:
    case = request.param
    available = {b.name: b for b in pysoftmax.backends()}
    if not available[case.backend].available:
        pytest.fail(f"backend {case.backend} unavailable: {available[case.backend].reason}")
    return case
