"""Fixtures: each test that takes ``library`` runs once per tested backend."""

from __future__ import annotations

import pytest

from conformance.backends import TESTED_BACKENDS, TestedBackend

# The test plugin is installed (from a copy) by test_dispatch.py, never imported from here.
collect_ignore = ["plugin"]


@pytest.fixture(params=TESTED_BACKENDS, ids=[b.id for b in TESTED_BACKENDS])
def library(request: pytest.FixtureRequest) -> TestedBackend:
    tested = request.param
    reason = tested.missing()
    if reason is not None:
        pytest.skip(reason)
    return tested
