"""Fixtures: each test that takes ``library`` runs once per tested backend."""

from __future__ import annotations

import pytest

from conformance.backends import TESTED_BACKENDS, TestedBackend

# The test plugin is installed (from a copy) by test_dispatch.py, never imported from here.
collect_ignore = ["plugin"]


# The front-door and accuracy tests run on the C core and the generic method; every other
# backend answers to the conformance suite (conformance/) and to its own test module.
CORE_BACKENDS = [b for b in TESTED_BACKENDS if b.backend in ("c", "array_api")]


@pytest.fixture(params=CORE_BACKENDS, ids=[b.id for b in CORE_BACKENDS])
def library(request: pytest.FixtureRequest) -> TestedBackend:
    tested = request.param
    reason = tested.missing()
    if reason is not None:
        pytest.skip(reason)
    return tested


@pytest.fixture
def general_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Turn the front door's fast path off: every call takes the general path."""
    from pysoftmax import _api

    monkeypatch.setattr(_api, "_FAST_KERNELS", {})


@pytest.fixture
def fast_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int, int]]:
    """Record (kernel name, rows, n) for each C call the fast path makes."""
    from pysoftmax import _api

    calls: list[tuple[str, int, int]] = []
    for dtype, (ctype, *kernels, low, high, size) in list(_api._FAST_KERNELS.items()):
        suffix = "f32" if dtype.itemsize == 4 else "f64"
        spies = [
            lambda *args, kernel=kernel, name=f"{name}_{suffix}": (
                calls.append((name, args[2], args[3])) or kernel(*args)
            )
            for kernel, name in zip(kernels, ["softmax", "log_softmax", "logsumexp"], strict=True)
        ]
        monkeypatch.setitem(_api._FAST_KERNELS, dtype, (ctype, *spies, low, high, size))
    monkeypatch.setattr(_api, "_TENSOR_KERNELS", {})  # rebuilt from the spies on first use
    return calls
