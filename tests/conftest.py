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
