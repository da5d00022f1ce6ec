"""``pytest conformance [--backend NAME]``: the suite on every backend, or on those named."""

from __future__ import annotations

import pytest
from hypothesis import settings

from conformance.backends import TESTED_BACKENDS, TestedBackend

# `--hypothesis-profile thorough` for a long search; the default keeps CI short.
settings.register_profile("default", max_examples=60, deadline=None)
settings.register_profile("thorough", max_examples=3000, deadline=None)
settings.load_profile("default")

KNOWN = {b.backend for b in TESTED_BACKENDS} | {b.id for b in TESTED_BACKENDS}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--backend",
        action="append",
        default=[],
        help="run the conformance suite on this pysoftmax backend only (repeatable); "
        f"one of {sorted(KNOWN)}",
    )


def pytest_configure(config: pytest.Config) -> None:
    unknown = [name for name in config.getoption("backend") if name not in KNOWN]
    if unknown:
        raise pytest.UsageError(f"--backend {unknown[0]!r} is not one of {sorted(KNOWN)}")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "tested" not in metafunc.fixturenames:
        return
    chosen = metafunc.config.getoption("backend")
    selected = [b for b in TESTED_BACKENDS if not chosen or b.backend in chosen or b.id in chosen]
    metafunc.parametrize("tested", selected, ids=[b.id for b in selected], indirect=True)


@pytest.fixture
def tested(request: pytest.FixtureRequest) -> TestedBackend:
    backend: TestedBackend = request.param
    reason = backend.missing()
    if reason is not None:
        pytest.skip(reason)
    return backend
